import type { Severity } from './types';

/** Severities from lowest to highest; the index is the rank. */
export const SEVERITY_ORDER: readonly Severity[] = Object.freeze(['info', 'low', 'medium', 'high', 'critical']);

/** Rank of a severity (info = 0 ... critical = 4). */
export function severityRank(s: Severity): number {
  return SEVERITY_ORDER.indexOf(s);
}

/** True when `a` is at least as severe as `b` (the policy's "at or above holdAt"). */
export function severityAtLeast(a: Severity, b: Severity): boolean {
  return severityRank(a) >= severityRank(b);
}

/** One level up, capped at critical. */
export function raise(s: Severity): Severity {
  return SEVERITY_ORDER[Math.min(severityRank(s) + 1, SEVERITY_ORDER.length - 1)]!;
}

/** True for a known severity name (for CLI and config parsing). */
export function isSeverity(value: string): value is Severity {
  return (SEVERITY_ORDER as readonly string[]).includes(value);
}
