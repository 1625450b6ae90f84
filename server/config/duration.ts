/** Parses the durations operators write (`90s`, `30m`, `72h`, `7d`, `0`) into milliseconds; null when the text is not one. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (!match) return null;
  const value = Number(match[1]);
  const unit = match[2]?.toLowerCase();
  if (unit === undefined) return value === 0 ? 0 : null; // a bare number is ambiguous unless it is zero
  return Math.round(value * UNIT_MS[unit]!);
}

/** Formats milliseconds the way the config accepts them, for messages (`72h`, `1d 2h`, `90s`). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0';
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.slice(0, 2).join(' ') || '1s';
}
