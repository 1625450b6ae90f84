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

/**
 * How long a background loop waits before its next step: `baseMs` while steps succeed, doubling after
 * each failed one (a locked or read-only store, an unreachable Redis) up to `maxMs`, so a fault costs a
 * few tries a minute instead of stalling the event loop every poll.
 */
export class LoopBackoff {
  private failures = 0;
  constructor(
    private readonly baseMs: number,
    private readonly maxMs = 30_000,
  ) {}

  /** Records the outcome of a step and returns the wait before the next one. */
  after(ok: boolean): number {
    this.failures = ok ? 0 : this.failures + 1;
    return this.failures === 0 ? this.baseMs : Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 16));
  }
}
