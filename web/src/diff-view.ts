/** A changed file's diff, unified or side by side, with the lines findings point at marked (in words too). */
import { h, visible, type Child } from './dom.js';

export interface DiffLine {
  t: ' ' | '-' | '+';
  a?: number;
  b?: number;
  text: string;
  cut?: true;
}
export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}
export interface FileDiff {
  path: string;
  change: 'added' | 'removed' | 'changed';
  oldSize: number | null;
  newSize: number | null;
  kind: 'text' | 'binary' | 'large' | 'too-different';
  hunks: DiffHunk[] | null;
  added: number;
  removed: number;
  omittedLines: number;
  summary?: string;
}

/** Line numbers (new side) that findings point at, by file, with the finding's rule. */
export type FindingLines = ReadonlyMap<string, ReadonlyMap<number, string>>;

export const lineAnchor = (path: string, line: number): string => `L-${encodeURIComponent(path).replace(/%/g, '_')}-${line}`;

const MARK: Record<DiffLine['t'], string> = { ' ': ' ', '-': '−', '+': '+' };
const WORD: Record<DiffLine['t'], string> = { ' ': 'unchanged', '-': 'removed', '+': 'added' };

function content(l: DiffLine): Child[] {
  return [visible(l.text), l.cut ? h('span', { class: 'cut' }, ' … (line shortened)') : null];
}

function findingTag(rule: string | undefined): Child {
  return rule ? h('span', { class: 'finding-tag' }, `⚑ finding: ${rule}`) : null;
}

function unified(path: string, hunks: DiffHunk[], marks: ReadonlyMap<number, string> | undefined): HTMLElement {
  const rows: HTMLElement[] = [];
  for (const hunk of hunks) {
    rows.push(
      h('tr', { class: 'hunk' }, h('td', { colspan: 4 }, `@@ −${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`)),
    );
    for (const l of hunk.lines) {
      const rule = l.b !== undefined ? marks?.get(l.b) : undefined;
      rows.push(
        h(
          'tr',
          {
            class: `line${rule ? ' flagged' : ''}`,
            'data-t': WORD[l.t],
            id: rule && l.b !== undefined ? lineAnchor(path, l.b) : undefined,
          },
          h('td', { class: 'num', 'aria-label': l.a !== undefined ? `old line ${l.a}` : undefined }, l.a ?? ''),
          h('td', { class: 'num', 'aria-label': l.b !== undefined ? `new line ${l.b}` : undefined }, l.b ?? ''),
          h(
            'td',
            { class: 'sign', title: WORD[l.t] },
            h('span', { 'aria-hidden': 'true' }, MARK[l.t]),
            h('span', { class: 'sr' }, WORD[l.t]),
          ),
          h('td', { class: 'code' }, h('code', {}, ...content(l)), findingTag(rule)),
        ),
      );
    }
  }
  return h('table', { class: 'diff unified' }, h('tbody', {}, rows));
}

function sideBySide(path: string, hunks: DiffHunk[], marks: ReadonlyMap<number, string> | undefined): HTMLElement {
  const rows: HTMLElement[] = [];
  const cell = (l: DiffLine | undefined, side: 'a' | 'b') => {
    if (!l) return [h('td', { class: 'num' }), h('td', { class: 'code empty' })];
    const n = side === 'a' ? l.a : l.b;
    const rule = side === 'b' && l.b !== undefined ? marks?.get(l.b) : undefined;
    return [
      h('td', { class: 'num' }, n ?? ''),
      h(
        'td',
        { class: `code${rule ? ' flagged' : ''}`, 'data-t': WORD[l.t], id: rule && l.b !== undefined ? lineAnchor(path, l.b) : undefined },
        h('span', { class: 'sr' }, `${WORD[l.t]}: `),
        h('code', {}, ...content(l)),
        findingTag(rule),
      ),
    ];
  };
  for (const hunk of hunks) {
    rows.push(
      h('tr', { class: 'hunk' }, h('td', { colspan: 4 }, `@@ −${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`)),
    );
    let i = 0;
    const lines = hunk.lines;
    while (i < lines.length) {
      if (lines[i]!.t === ' ') {
        rows.push(h('tr', {}, ...cell(lines[i], 'a'), ...cell(lines[i], 'b')));
        i++;
        continue;
      }
      const removed: DiffLine[] = [];
      const added: DiffLine[] = [];
      while (i < lines.length && lines[i]!.t === '-') removed.push(lines[i++]!);
      while (i < lines.length && lines[i]!.t === '+') added.push(lines[i++]!);
      for (let k = 0; k < Math.max(removed.length, added.length); k++)
        rows.push(h('tr', {}, ...cell(removed[k], 'a'), ...cell(added[k], 'b')));
    }
  }
  return h('table', { class: 'diff side' }, h('tbody', {}, rows));
}

const size = (n: number | null): string =>
  n === null ? '—' : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;

/** One file's section: path, change, sizes, and its diff or why it is summarised. */
export function fileSection(f: FileDiff, marks: FindingLines, mode: 'unified' | 'side'): HTMLElement {
  const fileMarks = marks.get(f.path);
  const sizes =
    f.change === 'changed' ? `${size(f.oldSize)} → ${size(f.newSize)}` : f.change === 'added' ? size(f.newSize) : size(f.oldSize);
  const head = h(
    'summary',
    {},
    h('span', { class: `change ${f.change}` }, f.change),
    ' ',
    h('code', { class: 'path' }, visible(f.path)),
    ' ',
    h('span', { class: 'sub' }, `${sizes}${f.kind === 'text' ? `, +${f.added} −${f.removed} lines` : ''}`),
    fileMarks ? h('span', { class: 'finding-tag' }, ` ⚑ ${fileMarks.size} finding line${fileMarks.size === 1 ? '' : 's'}`) : null,
  );
  const body: Child[] = [];
  if (!f.hunks) body.push(h('p', { class: 'summary' }, f.summary ?? 'Not shown.'));
  else if (f.hunks.length === 0) body.push(h('p', { class: 'summary' }, 'Empty file.'));
  else
    body.push(
      h(
        'div',
        { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': `Diff of ${visible(f.path)}` },
        mode === 'side' ? sideBySide(f.path, f.hunks, fileMarks) : unified(f.path, f.hunks, fileMarks),
      ),
    );
  if (f.omittedLines)
    body.push(
      h(
        'p',
        { class: 'summary' },
        `${f.omittedLines} more line${f.omittedLines === 1 ? '' : 's'} not shown; see the whole diff with "cordon show --diff".`,
      ),
    );
  return h('details', { class: 'file', open: f.kind === 'text' && (fileMarks !== undefined || f.added + f.removed <= 400) }, head, ...body);
}
