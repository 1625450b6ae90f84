/**
 * The BullMQ runner (REDIS_URL set): the mirror hands jobs from its SQLite outbox to a BullMQ queue,
 * `npm run worker` processes on any number of machines, and results come back through BullMQ's
 * events; a periodic reconciliation catches anything an event missed (mirror restarts included).
 */
import { Job as BullJob, Queue, QueueEvents } from 'bullmq';
import type IORedis from 'ioredis';
import type { RunnerRuntime } from './embedded-runner';
import type { Logger } from '../logger';
import type { Job } from '../../storage';
import { parseFailure, type AnalysisJobData, type AnalysisOutput } from './analysis-job';
import { redisConnection } from './bullmq-connection';
import type { ResultRecorder } from './record-result';
import { LoopBackoff, type Runner } from './runner';
import { backoffMs } from './retry-policy';
import { queueNameFor } from '../config';
import { toFailure } from './analysis-job';

const DISPATCH_LOCK_MS = 365 * 24 * 3_600_000; // a dispatched job belongs to BullMQ until it reports back

export class BullmqRunner implements Runner {
  readonly kind = 'bullmq' as const;
  private readonly connections: IORedis[] = [];
  private queue: Queue | null = null;
  private events: QueueEvents | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastReconcile = 0;
  private busy: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly backoff = new LoopBackoff(250);

  constructor(
    private readonly runtime: RunnerRuntime,
    private readonly recorder: ResultRecorder,
    /** The mirror's half of a job (manifest, pinned digest, dependency sightings); see prepare-job.ts. */
    private readonly prepare: (job: Job) => Promise<AnalysisJobData>,
    private readonly logger: Logger,
    private readonly pollMs = 250,
  ) {}

  async start(): Promise<void> {
    const { config } = this.runtime;
    const url = config.redisUrl!;
    const name = queueNameFor(config, this.runtime.mirrorId);
    const queueConn = redisConnection(url);
    const eventsConn = redisConnection(url);
    this.connections.push(queueConn, eventsConn);
    this.queue = new Queue(name, { connection: queueConn });
    this.events = new QueueEvents(name, { connection: eventsConn });
    await this.events.waitUntilReady();
    this.events.on('completed', ({ jobId }) => void this.serial(() => this.settle(jobId)));
    this.events.on('failed', ({ jobId }) => void this.serial(() => this.settle(jobId)));
    await this.serial(() => this.reconcile());
    this.schedule(0);
  }

  async drain(): Promise<void> {
    for (;;) {
      await this.serial(async () => {
        await this.dispatch();
        await this.reconcile();
      });
      const counts = await this.runtime.store.jobs.counts();
      const next = await this.runtime.store.jobs.nextRunAfter();
      if (counts.active === 0 && (next === null || next > this.runtime.clock.now())) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.busy.catch(() => undefined);
    await this.events?.close();
    await this.queue?.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  /** Jobs in Redis by BullMQ state, plus `outbox`: jobs the mirror has not handed to Redis yet. */
  async depth(): Promise<Record<string, number>> {
    const out: Record<string, number> = { outbox: (await this.runtime.store.jobs.counts()).waiting };
    if (this.queue && !this.stopped)
      Object.assign(out, await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'));
    return out;
  }

  /** Runs store work one step at a time, so an event and the reconciler never record the same job twice. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.busy.then(fn, fn).catch((err: unknown) => {
      this.logger.error({ err: (err as Error).message }, 'cordon: BullMQ runner step failed');
    });
    this.busy = next;
    return next;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      let ok = false;
      void this.serial(async () => {
        await this.dispatch();
        if (Date.now() - this.lastReconcile > 5_000) await this.reconcile();
        ok = true;
        // A step that failed (store locked, Redis down) is tried again later and later, up to 30 s apart.
      }).finally(() => {
        if (ok) {
          this.backoff.after(true);
          this.schedule(this.pollMs);
        } else this.schedule(this.backoff.after(false));
      });
    }, ms);
    this.timer.unref();
  }

  /** Moves ready jobs from the SQLite outbox to BullMQ, each with its question; the job id collapses duplicates. */
  private async dispatch(): Promise<void> {
    const { clock, config } = this.runtime;
    const jobs = this.runtime.store.jobs;
    for (const job of await jobs.claim(clock.now(), DISPATCH_LOCK_MS, 100, config.analysisPerPackage)) {
      let data: AnalysisJobData;
      try {
        data = await this.prepare(job);
      } catch (err) {
        await this.recorder.attemptFailed(job, toFailure(err));
        continue;
      }
      try {
        await this.queue!.add('analyze', data, {
          jobId: job.id,
          // A worker retries a blip at once; longer faults come back here and are retried by the mirror's policy.
          attempts: Math.min(2, config.analysisAttempts),
          backoff: { type: 'exponential', delay: 2_000 },
          removeOnComplete: { age: 7 * 24 * 3600 },
          removeOnFail: { age: 30 * 24 * 3600 },
        });
      } catch (err) {
        await jobs.postpone(job.id, clock.now() + 5_000, `cannot enqueue on Redis: ${(err as Error).message}`, clock.now());
      }
    }
  }

  /** Checks every dispatched job against BullMQ: finished ones are recorded, lost ones are sent again. */
  private async reconcile(): Promise<void> {
    this.lastReconcile = Date.now();
    for (const job of await this.runtime.store.jobs.active()) await this.settle(job.id);
  }

  private async settle(jobId: string): Promise<void> {
    const { clock } = this.runtime;
    const jobs = this.runtime.store.jobs;
    const local = await jobs.get(jobId);
    if (local?.status !== 'active') return;
    const remote = await BullJob.fromId<AnalysisJobData, AnalysisOutput>(this.queue!, jobId);
    if (!remote) {
      await jobs.postpone(jobId, clock.now(), 'the job was missing from Redis; queued again', clock.now());
      return;
    }
    const state = await remote.getState();
    if (state === 'completed') {
      const output = typeof remote.returnvalue === 'string' ? (JSON.parse(remote.returnvalue) as AnalysisOutput) : remote.returnvalue;
      if ((await this.recorder.succeeded(local, remote.data, output)) === 'refused') {
        // Not this job's answer (another mirror's, or a stale worker's): drop it and ask again.
        await remote.remove().catch(() => undefined);
        await jobs.retry(
          jobId,
          clock.now() + backoffMs(local.attempts, this.runtime.config.analysisBackoffMaxMs),
          'REFUSED: the result answered another question than the job asked',
          clock.now(),
        );
      }
    } else if (state === 'failed') {
      // The mirror's policy decides: retried later (the job leaves Redis so it can be sent again), or recorded.
      if ((await this.recorder.attemptFailed(local, parseFailure(remote.failedReason ?? 'TRANSIENT: unknown failure'))) !== null)
        await remote.remove().catch(() => undefined);
    }
  }
}
