import { scanCode, kindOf, type FileKind } from './code/scan-file';
import type { FileScan } from './code/signal';
import { SignalSink } from './code/signal';
import { scanText } from './code/scan-text';
import { compareFindings, findingsDigest } from './digest';
import { loadsAsData } from './loadable/resolve';
import { follow, loadPlan, requiredKind, type LoadPlan } from './loadable/load-plan';
import { effectiveManifest, viewOf, type FileView, type PackageView } from './package-view';
import { binaryFindings } from './rules/binaries';
import { codeFindings, type CodeScope } from './rules/code-capabilities';
import { dependencyFindings } from './rules/dependencies';
import { gypFindings } from './rules/gyp';
import { identityFindings } from './rules/identity';
import { installChanges, installFindings } from './rules/install-scripts';
import { metadataFindings } from './rules/metadata';
import { anomalyFindings } from './rules/tarball-anomalies';
import { youngDependencyFindings, type DependencyFacts, type YoungDependencyPolicy } from './rules/young-dependencies';
import type { Finding, PackageSide, Report } from './types';
import { ANALYZER_VERSION } from './version';

/** Options of `analyze`: a scan cache shared across calls (same content and kind), and facts only the caller can know. */
export interface AnalyzeOptions {
  readonly cache?: Map<string, FileScan | null>;
  /**
   * What upstream says about each dependency the new version adds or widens (see `dependencyFacts`);
   * absent: the young-dependency rule is not run (the CLI and benches have no registry view).
   */
  readonly dependencies?: ReadonlyMap<string, DependencyFacts>;
  /** The time the facts are judged at (epoch ms); required with `dependencies`. */
  readonly now?: number;
  /** Thresholds of the young-dependency rule; defaults: 30 days, 3 versions. */
  readonly youngDependency?: YoungDependencyPolicy;
  /** Limits on parsing (absent: none); what is beyond them is scanned as text and reported. */
  readonly budget?: ParseBudget;
}

/**
 * How much one analysis may parse. A parser's memory grows with the code it reads (30 MB of `a;` is
 * gigabytes of syntax tree), so files beyond a size, or beyond a total, or read after the analysis ran
 * out of time, are scanned as text instead; each such file is a finding, so a person sees what was not parsed.
 */
export interface ParseBudget {
  /** Largest file parsed, in bytes. */
  readonly maxFileBytes: number;
  /** Bytes parsed by one analysis at most. */
  readonly maxTotalBytes: number;
  /** True once the analysis is out of time (the caller owns the clock). */
  readonly outOfTime?: () => boolean;
}

const MB = 1024 * 1024;
const mb = (n: number): string => `${(n / MB).toFixed(1)} MB`;

/** Why `size` more bytes may not be parsed, or null when they may. */
function beyondBudget(budget: ParseBudget | undefined, size: number, parsedBytes: number): string | null {
  if (!budget) return null;
  if (size > budget.maxFileBytes) return `this file (${mb(size)}) is larger than the parse budget of ${mb(budget.maxFileBytes)} per file`;
  if (parsedBytes + size > budget.maxTotalBytes)
    return `the analysis had already parsed ${mb(parsedBytes)}, the parse budget of ${mb(budget.maxTotalBytes)} per analysis`;
  if (budget.outOfTime?.()) return 'the analysis ran out of its time budget';
  return null;
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
  const overBudget = new Set<string>();
  let parsedBytes = 0;
  const scanAs = (file: FileView, kind: FileKind): FileScan | null => {
    const key = `${kind}:${file.hash}`;
    let result = cache.get(key);
    if (result === undefined) {
      if (kind === 'other') result = null;
      else {
        const why = kind === 'shell' ? null : beyondBudget(options.budget, file.bytes.length, parsedBytes);
        // Scanned as text, and not cached: another analysis with budget left parses it.
        if (why) return textScan(file.text(), why);
        parsedBytes += file.bytes.length;
        result = scanCode(file.text(), kind, file.path);
      }
      cache.set(key, result);
      if (result) parsedNow++;
    }
    return result;
  };
  const defaultKind = (file: FileView): FileKind => kindOf(file.path, file.text().slice(0, 200));

  // What entry points load matters only when something that could be code changed; install scripts always matter.
  const codeChanged = !prev || [...cur.byPath.values()].some((f) => !prev.hashes.has(f.hash) && !loadsAsData(f.path));
  const plan = loadPlan(cur, scanAs, codeChanged);
  const nextKind = (file: FileView): FileKind => plan.kinds.get(file.path) ?? defaultKind(file);
  let prevPlan: LoadPlan | null = null;
  const prevKinds = (): Map<string, FileKind> => {
    prevPlan ??= loadPlan(prev!, scanAs, codeChanged);
    return prevPlan.kinds;
  };
  const prevKind = (file: FileView): FileKind => {
    const d = defaultKind(file);
    // a file named as code is read as that code either way; only the rest needs the previous plan
    if ((d === 'js' || d === 'ts') && !prevPlan) return d;
    return prevKinds().get(file.path) ?? d;
  };
  let prevByHash: Map<string, FileView[]> | null = null;
  const known = (file: FileView): boolean => {
    if (!prev?.hashes.has(file.hash)) return false;
    const kind = nextKind(file);
    if (kind === defaultKind(file)) return true;
    // read differently now (data before, code now): only a previous file read the same way explains it
    prevByHash ??= groupByHash(prev);
    return (prevByHash.get(file.hash) ?? []).some((p) => prevKind(p) === kind);
  };
  const scanNext = (file: FileView): FileScan | null => {
    const result = scanAs(file, nextKind(file));
    if (result) {
      scanned.add(file.hash);
      if (result.overBudget) overBudget.add(file.hash);
      else if (!result.parsed) unparsable.add(file.hash);
    }
    return result;
  };
  const scope: CodeScope = {
    scanNext,
    scanPrev: (file) => scanAs(file, prevKind(file)),
    known,
    // a file not read as code now has no signals to compare, whatever the previous version made of it
    sameReading: (n, p) => nextKind(n) === 'other' || nextKind(n) === prevKind(p),
    mustParse: new Set(plan.kinds.keys()),
    installFiles: plan.installFiles,
    reach: (paths) => {
      const roots = new Map(paths.filter((p) => !plan.kinds.has(p)).map((p) => [p, nextKind(cur.byPath.get(p)!)] as const));
      const before = new Set(plan.kinds.keys());
      follow(cur, roots, plan.kinds, scanAs);
      return [...plan.kinds.keys()].filter((p) => !before.has(p));
    },
  };

  const reach = installReach(cur, plan, scanAs);
  const changes = installChanges(prev, cur);
  const code = codeFindings(prev, cur, scope);
  const capability = [
    ...installFindings(changes, reach),
    ...gypFindings(prev, cur),
    ...dependencyFindings(prev, cur),
    ...metadataFindings(prev, cur),
    ...binaryFindings(prev, cur),
    ...anomalyFindings(previous?.anomalies ?? null, next.anomalies ?? []),
    ...code.findings,
    ...(options.dependencies
      ? youngDependencyFindings(prev, cur, options.dependencies, options.now ?? Number.NaN, options.youngDependency)
      : []),
  ];
  const findings: Finding[] = [...capability, ...identityFindings(prev, cur, capability)].sort(compareFindings);
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
    stats: {
      filesNext: cur.byPath.size,
      filesChanged: code.changed,
      filesParsed: parsedNow,
      filesScanned: scanned.size,
      filesUnparsable: unparsable.size,
      filesOverBudget: overBudget.size,
    },
  };
}

/** A file scanned by patterns only, because parsing it was beyond the budget. */
function textScan(text: string, why: string): FileScan {
  const sink = new SignalSink();
  scanText(text, sink);
  return { signals: sink.signals, relativeImports: sink.relativeImports, parsed: false, overBudget: why };
}

function groupByHash(view: PackageView): Map<string, FileView[]> {
  const out = new Map<string, FileView[]>();
  for (const f of view.byPath.values()) out.set(f.hash, [...(out.get(f.hash) ?? []), f]);
  return out;
}

/** The risky capability keys the install scripts reach: their commands, inline code and every file they run. */
function installReach(view: PackageView, plan: LoadPlan, scanAs: (f: FileView, k: FileKind) => FileScan | null): string[] {
  const sink = new SignalSink();
  for (const command of plan.commands) scanText(command, sink, { shell: true });
  for (const code of plan.inlineCode) sink.signals.push(...scanCode(code, 'js').signals);
  const reach = new Set<string>();
  for (const s of sink.signals) if (REACH_CATEGORIES.has(s.category)) reach.add(s.key);
  for (const path of plan.installFiles) {
    const f = view.byPath.get(path);
    const kind = plan.kinds.get(path) ?? requiredKind(path);
    for (const s of (f && scanAs(f, kind)?.signals) ?? []) if (REACH_CATEGORIES.has(s.category)) reach.add(s.key);
  }
  return [...reach].sort();
}
