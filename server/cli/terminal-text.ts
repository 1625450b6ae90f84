/**
 * Text that came from a package (names, versions, reasons, findings, file paths, diff lines) is hostile
 * on a terminal: a newline or tab can forge lines ("No findings.", a file list), an escape can drive the
 * screen. Each such value goes through `oneLine` before it is laid out; `printable` then guards the whole.
 */

/** Longest value shown by default before it is cut. */
export const VALUE_MAX = 300;

/**
 * One line: every C0/C1 control character (newline and tab included), DEL and the bidirectional
 * overrides are shown as `\u{…}`; a value longer than `max` is cut and says how much was left out.
 */
export function oneLine(value: unknown, max = VALUE_MAX): string {
  const text = String(value ?? '');
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = cut.replace(
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
  return text.length > max ? `${escaped}... [cut: ${text.length - max} more characters]` : escaped;
}

/** Multi-line package text (a unified diff): each line escaped and bounded, the line structure kept. */
export function lines(text: string, max = 1000): string {
  return text
    .split('\n')
    .map((line) => oneLine(line, max))
    .join('\n');
}
