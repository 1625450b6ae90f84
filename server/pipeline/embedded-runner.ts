/**
 * The default runner: jobs persisted in SQLite, processed in this process on worker threads. A job
 * left active by a crash or kill runs again at the next start, so nothing is released unanalysed.
 */
import type { CordonRuntime } from '../assemble';
import type { JobPort } from '../../storage/ports';
import type { Logger } from '../logger';
import { toFailure, type AnalysisJobData, type AnalysisOutput } from './analysis-job';
import type { ResultRecorder } from './record-result';
import { LoopBackoff, type Runner } from './runner';
import { backoffMs } from './retry-policy';
import type { Job } from '../../storage';

/** Runs one job; the default sends it to a worker thread. */
export type Execute = (job: AnalysisJobData) => Promise<AnalysisOutput>;

/** What a queue runner works with: the job outbox, the clock and the settings. */
export type RunnerRuntime = Pick<CordonRuntime, 'clock' | 'config' | 'mirrorId'> & { readonly store: { readonly jobs: JobPort } };

export class EmbeddedRunner implements Runner {
  readonly kind = 'embedded' as const;
  private running = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly inflight = new Set<Promise<void>>();
  /** After the queue could not be read (a locked store), no claim before this (monotonic ms). */
  private pausedUntil = 0;
  private readonly backoff = new LoopBackoff(250);
  /** The claim running now: claims never overlap, so no more than `analysisConcurrency` jobs run. */
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly runtime: RunnerRuntime,
    private readonly recorder: ResultRecorder,
    /** The mirror's half of a job (manifest, pinned digest, dependency sightings); see prepare-job.ts. */
    private readonly prepare: (job: Job) => Promise<AnalysisJobData>,
    private readonly execute: Execute,
    private readonly logger: Logger,
    /** Releases what `execute` holds (the thread pool) once the runner has stopped. */
    private readonly release: () => Promise<void> = async () => {},
    private readonly pollMs = 250,
  ) {}

  async start(): Promise<void> {
    const recovered = await this.runtime.store.jobs.recover(this.runtime.clock.now(), true);
    if (recovered) this.logger.info({ jobs: recovered }, 'cordon: resuming analyses interrupted by the last stop');
    this.schedule(0);
  }

  async drain(): Promise<void> {
    for (;;) {
      await this.tick();
      let next: number | null;
      try {
        next = await this.runtime.store.jobs.nextRunAfter();
      } catch {
        next = null; // the queue cannot be read (a locked or full store): nothing can start now
      }
      const ready = next !== null && next <= this.runtime.clock.now();
      // Nothing runs and nothing can start now (none ready, or the queue cannot be read: a locked or full store).
      if (this.running === 0 && (!ready || performance.now() < this.pausedUntil)) return;
      await Promise.race([...this.inflight, new Promise((r) => setTimeout(r, 20))]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // Results that arrive after a stop are ignored and their jobs stay active, to run again at the next
    // start; so a stuck analysis only gets a short grace period before its threads are terminated.
    await this.ticking;
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.release();
  }

  async depth(): Promise<Record<string, number>> {
    return this.runtime.store.jobs.counts();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule(this.pollMs));
    }, ms);
    this.timer.unref();
  }

  /** Claims what free threads can take; a tick asked for while one runs shares it. Never rejects. */
  private tick(): Promise<void> {
    this.ticking ??= this.claimFree().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async claimFree(): Promise<void> {
    if (this.stopped) return;
    const { clock, config } = this.runtime;
    const jobs = this.runtime.store.jobs;
    const free = config.analysisConcurrency - this.running;
    if (free <= 0 || performance.now() < this.pausedUntil) return;
    let claimed: Job[];
    try {
      claimed = await jobs.claim(clock.now(), config.analysisTimeoutMs * 2, free, config.analysisPerPackage);
      this.backoff.after(true);
    } catch (err) {
      // Each try waits out the store's busy timeout on the event loop: back off instead of trying every poll.
      const wait = this.backoff.after(false);
      this.pausedUntil = performance.now() + wait;
      this.logger.error({ err: (err as Error).message, retryInMs: wait }, 'cordon: cannot read the analysis queue; backing off');
      return;
    }
    for (const job of claimed) {
      // Claimed while stopping: left active, the next start runs it again.
      if (this.stopped) break;
      this.running++;
      const p = this.runOne(job).finally(() => {
        this.running--;
        this.inflight.delete(p);
        // A free thread takes the next ready job at once instead of waiting for the poll.
        setImmediate(() => void this.tick());
      });
      this.inflight.add(p);
    }
  }

  private async runOne(job: Job): Promise<void> {
    const { config, clock } = this.runtime;
    const jobs = this.runtime.store.jobs;
    let data: AnalysisJobData;
    let output: AnalysisOutput;
    try {
      data = await this.prepare(job);
      output = await this.execute(data);
    } catch (err) {
      if (this.stopped) return; // left active: the next start runs it again
      try {
        await this.recorder.attemptFailed(job, toFailure(err));
      } catch (writeErr) {
        this.logger.error({ err: (writeErr as Error).message, package: job.package }, 'cordon: cannot record an analysis failure');
      }
      return;
    }
    if (this.stopped) return;
    try {
      if ((await this.recorder.succeeded(job, data, output)) === 'refused') {
        await jobs.retry(
          job.id,
          clock.now() + backoffMs(job.attempts, config.analysisBackoffMaxMs),
          'REFUSED: the result answered another question than the job asked',
          clock.now(),
        );
      }
    } catch (err) {
      // The job stays active; the next start (or lock expiry) runs it again. Nothing is released meanwhile.
      this.logger.error({ err: (err as Error).message, package: job.package }, 'cordon: cannot record an analysis result');
    }
  }
}
