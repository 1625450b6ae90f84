/** What the mirror needs from a queue runner, whichever one config selects. */
export interface Runner {
  readonly kind: 'embedded' | 'bullmq';
  start(): Promise<void>;
  /** Resolves once no job is running or ready to run (tests and benchmarks). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}
