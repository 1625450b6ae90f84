import type { Signal } from '../code/signal';
import { snippet } from '../evidence';
import type { FileView, PackageView } from '../package-view';
import { raise } from '../severity';
import type { Finding } from '../types';

/** Scans a file (memoised by content hash); null for files that are not code. */
export type ScanFn = (file: FileView) => { signals: readonly Signal[]; parsed: boolean; overBudget?: string } | null;

// A changed file is parsed only if one of its new lines could carry a capability.
const TRIGGER =
  /require|import|eval|Function\s*\(|process|exec|spawn|fetch|XMLHttp|WebSocket|EventSource|https?:|\b(?:net|tls|dgram|dns|http2?|vm)\b|[Ss]ocket|Buffer|atob|fromCharCode|base64|\\x|\\u|:\/\/|\d+\.\d+\.\d+\.\d+|env|[Tt][Oo][Kk][Ee][Nn]|SECRET|[Ss]ecret|npmrc|ssh|aws|kube|proc\/|run[A-Z]|curl|wget|powershell|certutil|\bbun\b|_0x|[A-Za-z0-9+/=]{40,}/;
const LONG_LINE = 1000;
const READABLE = 500;
const MINIFIED = 5000;

function maxLineLength(lines: readonly string[]): number {
  let max = 0;
  for (const l of lines) if (l.length > max) max = l.length;
  return max;
}

interface Hit {
  readonly file: FileView;
  readonly signal: Signal;
}

/** True when any line of the code carrying the signal is new (a call split over lines counts on each). */
function touchesNewLine(signal: Signal, newLines: ReadonlySet<number>): boolean {
  const end = Math.max(signal.line, signal.endLine ?? signal.line);
  if (end - signal.line < newLines.size) {
    for (let n = signal.line; n <= end; n++) if (newLines.has(n)) return true;
    return false;
  }
  for (const n of newLines) if (n >= signal.line && n <= end) return true;
  return false;
}

function newLineNumbers(next: FileView, pred: FileView): Set<number> {
  const old = new Set(pred.lines());
  const out = new Set<number>();
  next.lines().forEach((l, i) => {
    if (!old.has(l)) out.add(i + 1);
  });
  return out;
}

function lineSignals(next: FileView, pred: FileView | undefined, newLines: Set<number> | null): Signal[] {
  const lines = next.lines();
  const out: Signal[] = [];
  if (pred) {
    const predMax = maxLineLength(pred.lines());
    if (predMax < READABLE) {
      for (const n of newLines ?? []) {
        if (lines[n - 1]!.length > LONG_LINE) {
          out.push({
            key: `rel:long-line:${next.path}`,
            category: 'obfuscation',
            rule: 'obfuscation/long-line-injected',
            severity: 'high',
            line: n,
            column: 0,
            message: `a ${lines[n - 1]!.length}-character line was added to a file whose lines were all short (hidden payload?)`,
          });
          break;
        }
      }
      if (lines.length < 20 && maxLineLength(lines) > MINIFIED) {
        out.push({
          key: `rel:minified:${next.path}`,
          category: 'obfuscation',
          rule: 'obfuscation/minified-replaces-readable',
          severity: 'medium',
          line: 1,
          column: 0,
          message: 'a readable file became one huge line',
        });
      }
    }
  } else if (maxLineLength(lines) > MINIFIED && lines.length < 20) {
    out.push({
      key: 'minified-file',
      category: 'obfuscation',
      rule: 'obfuscation/new-minified-file',
      severity: 'low',
      line: 1,
      column: 0,
      message: 'adds a minified file where the package had none',
    });
  }
  return out;
}

/** How the analysis reads files: which to scan as what, and which are the same as before. */
export interface CodeScope {
  /** Scans a file of the new version as Node would load it. */
  readonly scanNext: ScanFn;
  /** Scans a file of the previous version as Node would have loaded it. */
  readonly scanPrev: ScanFn;
  /** True when the previous version had the same bytes, read the same way (data then, code now, is new). */
  readonly known: (file: FileView) => boolean;
  /** Changed files that are always parsed: reached from an entry point or an install script. */
  readonly mustParse: ReadonlySet<string>;
  /** True when the previous file was read the same way as the new one, so their lines can be compared. */
  readonly sameReading: (next: FileView, previous: FileView) => boolean;
  /** Files an install script runs. */
  readonly installFiles: ReadonlySet<string>;
  /** Follows the requires of files scanned because of what they changed; returns files newly reached (always parsed). */
  readonly reach: (paths: readonly string[]) => string[];
}

/**
 * Capabilities of the new version's code that no file of the previous version had. Files
 * identical to a previous file are skipped; a changed file only counts its new lines. A changed
 * file that no entry point or install script reaches is parsed only when one of its new lines
 * could carry a capability; a changed file that one reaches is always parsed. The previous
 * version is scanned lazily, only until every candidate is explained.
 */
export function codeFindings(prev: PackageView | null, next: PackageView, scope: CodeScope): { findings: Finding[]; changed: number } {
  const candidates = new Map<string, Hit[]>();
  let changed = 0;
  const toScan: Array<{ file: FileView; pred: FileView | undefined; newLines: Set<number> | null }> = [];
  const queued = new Set<string>();
  const consider = (file: FileView, gate: boolean): void => {
    if (queued.has(file.path) || scope.known(file)) return;
    const old = prev?.byPath.get(file.path);
    // data before and code now: every line of it is new code
    const pred = old && scope.sameReading(file, old) ? old : undefined;
    let newLines: Set<number> | null = null;
    if (pred) {
      newLines = newLineNumbers(file, pred);
      if (newLines.size === 0) return;
      if (gate) {
        const lines = file.lines();
        let triggered = false;
        for (const n of newLines) {
          const l = lines[n - 1]!;
          if (l.length > LONG_LINE || TRIGGER.test(l)) {
            triggered = true;
            break;
          }
        }
        if (!triggered) return;
      }
    }
    queued.add(file.path);
    toScan.push({ file, pred, newLines });
  };
  for (const file of next.byPath.values()) {
    if (!scope.known(file)) changed++;
    consider(file, !scope.mustParse.has(file.path));
  }
  // What the files scanned for their own changes require is loaded too, and read as code whatever its name.
  for (const path of scope.reach(toScan.map((t) => t.file.path))) {
    const file = next.byPath.get(path);
    if (file) consider(file, false);
  }
  for (const { file, pred, newLines } of toScan) {
    const result = scope.scanNext(file);
    if (!result) continue;
    const signals = [...result.signals, ...lineSignals(file, pred, newLines)];
    if (result.overBudget)
      signals.push({
        key: 'over-parse-budget',
        category: 'obfuscation',
        rule: 'obfuscation/over-parse-budget',
        severity: 'medium',
        line: 1,
        column: 0,
        message: `not parsed: ${result.overBudget}. It was scanned as text only, so code hidden in it may be missed; a person should look at it.`,
      });
    else if (!result.parsed)
      signals.push({
        key: 'unparsable',
        category: 'obfuscation',
        rule: 'obfuscation/unparsable-code',
        severity: 'low',
        line: 1,
        column: 0,
        message: 'no parser accepts this code; it was scanned as text',
      });
    for (const signal of signals) {
      // A file that changed anywhere and could not be parsed is reported whichever lines changed.
      if (newLines && !touchesNewLine(signal, newLines) && !signal.key.startsWith('rel:') && signal.key !== 'over-parse-budget') continue;
      const hits = candidates.get(signal.key) ?? [];
      if (!hits.some((h) => h.file === file)) hits.push({ file, signal });
      candidates.set(signal.key, hits);
    }
  }
  if (prev && candidates.size > 0) explainByPrevious(prev, next, scope, candidates);
  const findings: Finding[] = [];
  for (const hits of candidates.values()) {
    for (const { file, signal } of hits.slice(0, 3)) {
      const atInstall = scope.installFiles.has(file.path);
      findings.push({
        category: signal.category,
        rule: signal.rule,
        severity: atInstall ? raise(signal.severity) : signal.severity,
        message: atInstall ? `runs at install time: ${signal.message}` : signal.message,
        file: file.path,
        line: signal.line,
        evidence: snippet(file.lines()[signal.line - 1] ?? '', signal.column),
      });
    }
  }
  return { findings, changed };
}

function explainByPrevious(prev: PackageView, next: PackageView, scope: CodeScope, candidates: Map<string, Hit[]>): void {
  const changedPaths = new Set([...next.byPath.values()].filter((f) => !scope.known(f)).map((f) => f.path));
  // Most likely explanations first: the previous state of changed files, then files that are gone, then
  // files named as code (reading the rest as code needs the previous version's load plan).
  const named = (f: FileView) => Number(/\.[cm]?[jt]sx?$/.test(f.path));
  const ordered = [...prev.byPath.values()].sort(
    (a, b) =>
      Number(changedPaths.has(b.path)) - Number(changedPaths.has(a.path)) ||
      Number(!next.byPath.has(b.path)) - Number(!next.byPath.has(a.path)) ||
      named(b) - named(a),
  );
  for (const file of ordered) {
    if (![...candidates.keys()].some((k) => !k.startsWith('rel:'))) return;
    if (candidates.has('minified-file') && file.lines().length < 20 && maxLineLength(file.lines()) > MINIFIED)
      candidates.delete('minified-file');
    const result = scope.scanPrev(file);
    if (!result) continue;
    if (!result.parsed) candidates.delete('unparsable');
    for (const s of result.signals) candidates.delete(s.key);
  }
}
