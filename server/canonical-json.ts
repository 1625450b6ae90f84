/**
 * Canonical JSON: object keys sorted by UTF-16 code units at every level, no whitespace, strings as
 * JSON.stringify writes them (raw UTF-8 except quotes, backslash and control characters). Built by
 * hand because JSON.stringify puts integer-like keys ("10") first whatever the insertion order.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return 'null';
    if (typeof value === 'bigint') throw new TypeError('canonicalJson: bigint has no JSON form');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/**
 * Reads `text` as a JSON object with exactly `keys` (sorted), every value a string: the shape of every
 * signed Cordon text. Returns why not, for the caller's own error, or the object. Whether the text is
 * also in canonical form is checked by the caller once it has the typed value.
 */
export function parseStringRecord(
  text: string,
  keys: readonly string[],
): { ok: true; value: Record<string, string> } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'is not JSON' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problem: 'is not a JSON object' };
  const obj = raw as Record<string, unknown>;
  if (Object.keys(obj).sort().join(',') !== [...keys].sort().join(','))
    return { ok: false, problem: `must have exactly the fields ${keys.join(', ')}` };
  for (const k of keys) if (typeof obj[k] !== 'string') return { ok: false, problem: `field "${k}" is not a string` };
  return { ok: true, value: obj as Record<string, string> };
}
