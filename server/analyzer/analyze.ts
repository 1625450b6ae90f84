import { scanCode, kindOf } from './code/scan-file';
import type { FileScan } from './code/signal';
import { compareFindings, findingsDigest } from './digest';
import { effectiveManifest, viewOf, type FileView, type PackageView } from './package-view';
import { binaryFindings } from './rules/binaries';
import { codeFindings } from './rules/code-capabilities';
import { dependencyFindings } from './rules/dependencies';
import { commandTargets, reachableFiles } from './rules/install-targets';
import { gypFindings, installChanges, installFindings, installScriptsOf } from './rules/install-scripts';
import { metadataFindings } from './rules/metadata';
import { anomalyFindings } from './rules/tarball-anomalies';
import { SignalSink } from './code/signal';
import { scanText } from './code/scan-text';
import type { Finding, PackageSide, Report } from './types';
import { ANALYZER_VERSION } from './version';

/** Options of `analyze`; the cache lets a caller reuse scans across calls (same content hash). */
export interface AnalyzeOptions {
  readonly cache?: Map<string, FileScan | null>;
}

const REACH_CATEGORIES = new Set(['network', 'process', 'credentials', 'dynamic-code']);

/**
 * Compares two versions of a package and reports what the new one can do that the previous
 * one could not. Pure: no file system, network or clock. `previous` null means a first version.
 */
export function analyze(previous: PackageSide | null, next: PackageSide, options: AnalyzeOptions = {}): Report {
  const cache = options.cache ?? new Map<string, FileScan | null>();
  const prev = previous ? viewOf(previous) : null;
  const cur = viewOf(next);
  let parsedNow = 0;
  // Distinct files of the new version that were scanned, whether or not the cache had them.
  const scanned = new Set<string>();
  const unparsable = new Set<string>();
  const scan = (file: FileView): FileScan | null => {
    let result = cache.get(file.hash);
    if (result === undefined) {
      const kind = kindOf(file.path, file.text().slice(0, 200));
      result = kind === 'other' ? null : scanCode(file.text(), kind, file.path);
      cache.set(file.hash, result);
      if (result) parsedNow++;
    }
    if (result && cur.hashes.has(file.hash)) {
      scanned.add(file.hash);
      if (!result.parsed) unparsable.add(file.hash);
    }
    return result;
  };

  const { installFiles, reach } = installReach(cur, scan);
  const changes = installChanges(prev, cur);
  const code = codeFindings(prev, cur, scan, installFiles);
  const findings: Finding[] = [
    ...installFindings(changes, reach),
    ...gypFindings(prev, cur),
    ...dependencyFindings(prev, cur),
    ...metadataFindings(prev, cur),
    ...binaryFindings(prev, cur),
    ...anomalyFindings(previous?.anomalies ?? null, next.anomalies ?? []),
    ...code.findings,
  ].sort(compareFindings);
  const manifest = effectiveManifest(cur);
  const prevManifest = prev ? effectiveManifest(prev) : null;
  return {
    analyzerVersion: ANALYZER_VERSION,
    ...(typeof manifest.name === 'string' ? { name: manifest.name } : {}),
    ...(typeof prevManifest?.version === 'string' ? { previousVersion: prevManifest.version } : {}),
    ...(typeof manifest.version === 'string' ? { version: manifest.version } : {}),
    findings,
    maxSeverity: findings[0]?.severity ?? null, // sorted most severe first
    digest: findingsDigest(findings),
    stats: { filesNext: cur.byPath.size, filesChanged: code.changed, filesParsed: parsedNow, filesScanned: scanned.size, filesUnparsable: unparsable.size },
  };
}

/** Files the install scripts run, and the risky capability keys they (or the commands) reach. */
function installReach(view: PackageView, scan: (f: FileView) => FileScan | null): { installFiles: Set<string>; reach: string[] } {
  const roots: string[] = [];
  const sink = new SignalSink();
  for (const { command } of installScriptsOf(view).values()) {
    const targets = commandTargets(view, command);
    roots.push(...targets.files);
    scanText(command, sink, { shell: true });
    for (const code of targets.inlineCode) {
      sink.signals.push(...scanCode(code, 'js').signals);
    }
  }
  const files = reachableFiles(view, roots, (path) => {
    const f = view.byPath.get(path);
    return (f && scan(f)?.relativeImports) ?? [];
  });
  const reach = new Set<string>();
  for (const s of sink.signals) if (REACH_CATEGORIES.has(s.category)) reach.add(s.key);
  for (const path of files) {
    const f = view.byPath.get(path);
    for (const s of (f && scan(f)?.signals) ?? []) if (REACH_CATEGORIES.has(s.category)) reach.add(s.key);
  }
  return { installFiles: new Set(files), reach: [...reach].sort() };
}
