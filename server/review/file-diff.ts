/**
 * The file-level and line-level difference of two unpacked versions, bounded so a hostile or huge
 * package cannot make the review page (or the thread building it) unbounded. Pure; line diffs by `diff`.
 */
import { structuredPatch } from 'diff';
import type { DiffHunk, DiffLine, FileDiff, FilesDiff, FileKind } from './diff-types';

/** Limits of one review. */
export interface DiffLimits {
  /** A side larger than this is summarised, not diffed. */
  readonly maxTextBytes: number;
  /** Lines shown per file and in the whole review. */
  readonly maxLinesPerFile: number;
  readonly maxLinesTotal: number;
  /** Characters shown of one line. */
  readonly maxLineChars: number;
  /** Myers edit distance and time after which two texts count as too different to diff line by line. */
  readonly maxEditLength: number;
  readonly timeoutMs: number;
}

export const DEFAULT_DIFF_LIMITS: DiffLimits = {
  maxTextBytes: 8 * 1024 * 1024,
  maxLinesPerFile: 3000,
  maxLinesTotal: 30_000,
  maxLineChars: 2000,
  maxEditLength: 4000,
  timeoutMs: 500,
};

const isBinary = (bytes: Uint8Array): boolean => bytes.subarray(0, 8000).includes(0);

function kindOf(a: Uint8Array | undefined, b: Uint8Array | undefined, limits: DiffLimits): FileKind {
  if ((a && isBinary(a)) || (b && isBinary(b))) return 'binary';
  if ((a?.length ?? 0) > limits.maxTextBytes || (b?.length ?? 0) > limits.maxTextBytes) return 'large';
  return 'text';
}

const decoder = new TextDecoder('utf-8');
const text = (bytes: Uint8Array | undefined): string => (bytes ? decoder.decode(bytes) : '');

function line(t: DiffLine['t'], raw: string, a: number | undefined, b: number | undefined, limits: DiffLimits): DiffLine {
  const cut = raw.length > limits.maxLineChars;
  return {
    t,
    ...(a !== undefined ? { a } : {}),
    ...(b !== undefined ? { b } : {}),
    text: cut ? raw.slice(0, limits.maxLineChars) : raw,
    ...(cut ? { cut: true as const } : {}),
  };
}

/** Hunks with numbered lines from `diff`'s structured patch, keeping at most `budget` lines. */
function hunksOf(
  oldText: string,
  newText: string,
  limits: DiffLimits,
  budget: number,
): { hunks: DiffHunk[]; added: number; removed: number; omitted: number } | null {
  const patch = structuredPatch('a', 'b', oldText, newText, '', '', {
    context: 3,
    maxEditLength: limits.maxEditLength,
    timeout: limits.timeoutMs,
  });
  if (!patch) return null;
  const hunks: DiffHunk[] = [];
  let added = 0;
  let removed = 0;
  let shown = 0;
  let omitted = 0;
  for (const h of patch.hunks) {
    let a = h.oldStart;
    let b = h.newStart;
    const lines: DiffLine[] = [];
    for (const raw of h.lines) {
      const t = raw[0];
      if (t !== ' ' && t !== '-' && t !== '+') continue; // "\ No newline at end of file"
      if (t === '+') added++;
      if (t === '-') removed++;
      if (shown < budget) {
        lines.push(line(t, raw.slice(1), t === '+' ? undefined : a, t === '-' ? undefined : b, limits));
        shown++;
      } else omitted++;
      if (t !== '+') a++;
      if (t !== '-') b++;
    }
    if (lines.length) hunks.push({ oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, lines });
  }
  return { hunks, added, removed, omitted };
}

/** Every line of a file as one added (or removed) hunk, without running a diff. */
function wholeFile(
  content: string,
  side: '+' | '-',
  limits: DiffLimits,
  budget: number,
): { hunks: DiffHunk[]; added: number; removed: number; omitted: number } {
  const all = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  const shown = all
    .slice(0, budget)
    .map((raw, i) => line(side, raw, side === '-' ? i + 1 : undefined, side === '+' ? i + 1 : undefined, limits));
  const n = all.length;
  const hunk: DiffHunk =
    side === '+'
      ? { oldStart: 0, oldLines: 0, newStart: n ? 1 : 0, newLines: n, lines: shown }
      : { oldStart: n ? 1 : 0, oldLines: n, newStart: 0, newLines: 0, lines: shown };
  return { hunks: n ? [hunk] : [], added: side === '+' ? n : 0, removed: side === '-' ? n : 0, omitted: n - shown.length };
}

/** Differences between `old` and `next` (path → bytes): changed files with line hunks, in path order. */
export function diffFiles(
  old: ReadonlyMap<string, Uint8Array>,
  next: ReadonlyMap<string, Uint8Array>,
  limits: DiffLimits = DEFAULT_DIFF_LIMITS,
): FilesDiff {
  const files: FileDiff[] = [];
  let unchangedFiles = 0;
  let budget = limits.maxLinesTotal;
  for (const path of [...new Set([...old.keys(), ...next.keys()])].sort()) {
    const a = old.get(path);
    const b = next.get(path);
    if (a && b && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)) {
      unchangedFiles++;
      continue;
    }
    const base = {
      path,
      change: !a ? 'added' : !b ? 'removed' : 'changed',
      oldSize: a ? a.length : null,
      newSize: b ? b.length : null,
    } as const;
    const kind = kindOf(a, b, limits);
    if (kind !== 'text') {
      const summary =
        kind === 'binary'
          ? 'Binary file: not shown as text.'
          : `Larger than ${Math.round(limits.maxTextBytes / 1048576)} MB: summarised, not diffed.`;
      files.push({ ...base, kind, hunks: null, added: 0, removed: 0, omittedLines: 0, summary });
      continue;
    }
    if (budget <= 0) {
      files.push({
        ...base,
        kind,
        hunks: null,
        added: 0,
        removed: 0,
        omittedLines: 0,
        summary: `Not shown: this review already shows ${limits.maxLinesTotal} lines. See it with "cordon show --diff".`,
      });
      continue;
    }
    const perFile = Math.min(budget, limits.maxLinesPerFile);
    const d = !a
      ? wholeFile(text(b), '+', limits, perFile)
      : !b
        ? wholeFile(text(a), '-', limits, perFile)
        : hunksOf(text(a), text(b), limits, perFile);
    if (!d) {
      files.push({
        ...base,
        kind: 'too-different',
        hunks: null,
        added: 0,
        removed: 0,
        omittedLines: 0,
        summary: 'Too different to diff line by line in time: compare the two versions with "cordon show --diff" or npm diff.',
      });
      continue;
    }
    budget -= d.hunks.reduce((n, h) => n + h.lines.length, 0);
    files.push({ ...base, kind, hunks: d.hunks, added: d.added, removed: d.removed, omittedLines: d.omitted });
  }
  return { files, unchangedFiles };
}

/** `diff -u` text of one file's hunks (the CLI's `show --diff`). */
export function unifiedText(f: Pick<FileDiff, 'path' | 'change' | 'hunks'>): string | null {
  if (!f.hunks) return null;
  if (f.hunks.length === 0) return '';
  const out = [`--- ${f.change === 'added' ? '/dev/null' : `a/${f.path}`}`, `+++ ${f.change === 'removed' ? '/dev/null' : `b/${f.path}`}`];
  for (const h of f.hunks) {
    out.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    for (const l of h.lines) out.push(`${l.t}${l.text}`);
  }
  return `${out.join('\n')}\n`;
}
