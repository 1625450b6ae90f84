/** What the mirror needs from a queue runner, whichever one config selects. */
export interface Runner {
  readonly kind: 'embedded' | 'bullmq';
  start(): Promise<void>;
  /** Resolves once no job is running or ready to run (tests and benchmarks). */
  drain(): Promise<void>;
  stop(): Promise<void>;
  /** Jobs in each status, for the metrics scrape. */
  depth(): Promise<Record<string, number>>;
}

/** Exponential backoff for attempt `n` (1-based): 2s, 4s, 8s … capped at 5 minutes. */
export function backoffMs(attempt: number): number {
  return Math.min(2_000 * 2 ** Math.max(0, attempt - 1), 300_000);
}
