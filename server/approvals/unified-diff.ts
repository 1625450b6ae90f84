/** A line diff (Myers' O(ND) algorithm) printed as a unified diff; pure, bounded, no dependency. */

type Op = { readonly kind: ' ' | '-' | '+'; readonly line: string };

/** The shortest edit script from `a` to `b`, or null when it needs more than `maxEdits` edits. */
export function diffLines(a: readonly string[], b: readonly string[], maxEdits = 2000): Op[] | null {
  const n = a.length;
  const m = b.length;
  const trace: Int32Array[] = [];
  // trace[d][k + d] is the furthest x on diagonal k after d edits.
  for (let d = 0; d <= Math.min(maxEdits, n + m); d++) {
    const prev = trace[d - 1];
    const cur = new Int32Array(2 * d + 1);
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (d === 0) x = 0;
      else if (k === -d || (k !== d && prev![k - 1 + d - 1]! < prev![k + 1 + d - 1]!)) x = prev![k + 1 + d - 1]!;
      else x = prev![k - 1 + d - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      cur[k + d] = x;
      if (x >= n && y >= m) {
        trace.push(cur);
        return backtrack(trace, a, b);
      }
    }
    trace.push(cur);
  }
  return null;
}

function backtrack(trace: readonly Int32Array[], a: readonly string[], b: readonly string[]): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d > 0; d--) {
    const v = trace[d - 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && v[k - 1 + d - 1]! < v[k + 1 + d - 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[prevK + d - 1]!;
    const prevY = prevX - prevK;
    while (x > (down ? prevX : prevX + 1) && y > (down ? prevY + 1 : prevY)) ops.push({ kind: ' ', line: a[--x]! }), y--;
    if (down) ops.push({ kind: '+', line: b[--y]! });
    else ops.push({ kind: '-', line: a[--x]! });
  }
  while (x > 0 && y > 0) ops.push({ kind: ' ', line: a[--x]! }), y--;
  return ops.reverse();
}

const split = (text: string): string[] => {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
};

/**
 * `diff -u` style text for one file (`oldText` null: added, `newText` null: removed), with `context`
 * lines around each change; null when the files differ too much to diff within the bound.
 */
export function unifiedDiff(path: string, oldText: string | null, newText: string | null, context = 3): string | null {
  const a = split(oldText ?? '');
  const b = split(newText ?? '');
  const ops = diffLines(a, b);
  if (ops === null) return null;
  const out = [`--- ${oldText === null ? '/dev/null' : `a/${path}`}`, `+++ ${newText === null ? '/dev/null' : `b/${path}`}`];
  const changed = ops.map((op, i) => (op.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return '';
  // Group changes whose context overlaps into hunks.
  const groups: Array<[number, number]> = [];
  for (const i of changed) {
    const last = groups[groups.length - 1];
    if (last && i - last[1] <= 2 * context) last[1] = i;
    else groups.push([i, i]);
  }
  // Line numbers before each op.
  const aAt: number[] = [];
  const bAt: number[] = [];
  let ai = 0;
  let bi = 0;
  for (const op of ops) {
    aAt.push(ai);
    bAt.push(bi);
    if (op.kind !== '+') ai++;
    if (op.kind !== '-') bi++;
  }
  for (const [first, lastChange] of groups) {
    const start = Math.max(0, first - context);
    const end = Math.min(ops.length - 1, lastChange + context);
    const slice = ops.slice(start, end + 1);
    const aLen = slice.filter((o) => o.kind !== '+').length;
    const bLen = slice.filter((o) => o.kind !== '-').length;
    const aStart = aLen === 0 ? aAt[start]! : aAt[start]! + 1;
    const bStart = bLen === 0 ? bAt[start]! : bAt[start]! + 1;
    out.push(`@@ -${aStart},${aLen} +${bStart},${bLen} @@`);
    for (const o of slice) out.push(`${o.kind}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}
