/** Longest snippet a finding carries. */
export const EVIDENCE_MAX = 160;

/** A short, single-line snippet of `line` around `column`, never the whole of a long line. */
export function snippet(line: string, column = 0, max = EVIDENCE_MAX): string {
  const flat = line.replace(/\s+/g, ' ');
  if (flat.length <= max) return flat.trim();
  const start = Math.max(0, Math.min(column - Math.floor(max / 3), flat.length - max));
  return `${start > 0 ? '…' : ''}${flat.slice(start, start + max).trim()}${start + max < flat.length ? '…' : ''}`;
}

/** Caps free text (a script, a dependency spec) to one short line. */
export function clip(text: string, max = EVIDENCE_MAX): string {
  return snippet(text, 0, max);
}
