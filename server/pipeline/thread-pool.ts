/** A small pool of worker threads running analyses, so unpacking and parsing never stall request serving. */
import type { CordonConfig } from '../config';
import { join } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { AnalysisError, type AnalysisFailure, type AnalysisJobData, type AnalysisOutput } from './analysis-job';

type Reply = { ok: true; output: AnalysisOutput } | { ok: false; failure: AnalysisFailure };

export class ThreadPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly script: string = join(__dirname, 'analysis-thread.js'),
    /** Heap limits of each thread: a hostile tarball that needs more ends its own thread, never the process. */
    private readonly limits: ResourceLimits = {},
  ) {}

  /** Runs one job on a free thread; a thread that exceeds `timeoutMs` is terminated and replaced. */
  async run(job: AnalysisJobData, timeoutMs: number): Promise<AnalysisOutput> {
    if (this.closed) throw new AnalysisError('TRANSIENT', 'the analysis pool is shutting down');
    if (this.all.size - this.idle.length >= this.size) throw new AnalysisError('TRANSIENT', 'no free analysis thread');
    const worker = this.idle.pop() ?? this.spawn();
    return new Promise<AnalysisOutput>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.discard(worker);
        reject(new AnalysisError('TIMEOUT', `the analysis of ${job.question.package}@${job.question.version} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (reply: Reply): void => {
        cleanup();
        if (this.closed) this.discard(worker);
        else this.idle.push(worker);
        if (reply.ok) resolve(reply.output);
        else reject(new AnalysisError(reply.failure.code, reply.failure.message));
      };
      const onError = (err: Error): void => {
        cleanup();
        this.discard(worker);
        if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          const mb = this.limits.maxOldGenerationSizeMb;
          reject(new AnalysisError('RESOURCE_LIMIT', `the analysis of ${job.question.package}@${job.question.version} needed more memory than an analysis thread may use${mb ? ` (${mb} MB, analysisMemory)` : ''}`, { cause: err }));
        } else reject(new AnalysisError('TRANSIENT', `the analysis thread crashed: ${err.message}`, { cause: err }));
      };
      const onExit = (code: number): void => {
        cleanup();
        this.discard(worker);
        reject(new AnalysisError('TRANSIENT', `the analysis thread exited (code ${code}) before it answered`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, { resourceLimits: this.limits });
    this.all.add(worker);
    return worker;
  }

  private discard(worker: Worker): void {
    this.all.delete(worker);
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    void worker.terminate();
  }
}

/** The heap limits of analysis threads for `config` (analysisMemory): young generation a sixteenth, capped. */
export function analysisThreadLimits(config: Pick<CordonConfig, 'analysisMemoryBytes'>): ResourceLimits {
  const mb = Math.max(64, Math.floor(config.analysisMemoryBytes / (1024 * 1024)));
  return { maxOldGenerationSizeMb: mb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(mb / 16))) };
}
