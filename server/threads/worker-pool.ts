/**
 * A few worker threads that answer one message each at a time: a thread that takes too long is terminated
 * and replaced, one that runs out of memory or crashes ends alone, never the process. The analysis pool and
 * the review's diff pool are both this, with their own scripts and error types.
 */
import { Worker, type ResourceLimits, type TransferListItem } from 'node:worker_threads';

/** Why a thread gave no answer. */
export type PoolFailureKind = 'busy' | 'closed' | 'timeout' | 'out-of-memory' | 'crashed' | 'exited';

export class PoolFailure extends Error {
  constructor(
    readonly kind: PoolFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface WorkerPoolOptions {
  /** Most threads at once; beyond it `run` fails with `busy` (the caller bounds concurrency). */
  readonly size?: number;
  readonly resourceLimits?: ResourceLimits;
  /** Let the process exit while threads idle. */
  readonly unref?: boolean;
}

export class WorkerPool<In, Reply> {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private closed = false;

  constructor(
    private readonly script: string,
    private readonly options: WorkerPoolOptions = {},
  ) {}

  /** Posts `input` (transferring `transfer`) to a free thread and resolves its one reply. */
  run(input: In, timeoutMs: number, transfer: readonly TransferListItem[] = []): Promise<Reply> {
    if (this.closed) return Promise.reject(new PoolFailure('closed', 'the thread pool is shutting down'));
    if (this.options.size !== undefined && this.all.size - this.idle.length >= this.options.size)
      return Promise.reject(new PoolFailure('busy', 'no free thread'));
    const worker = this.idle.pop() ?? this.spawn();
    return new Promise<Reply>((resolve, reject) => {
      const fail = (failure: PoolFailure): void => {
        cleanup();
        this.discard(worker);
        reject(failure);
      };
      const timer = setTimeout(() => fail(new PoolFailure('timeout', `took longer than ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (reply: Reply): void => {
        cleanup();
        if (this.closed) this.discard(worker);
        else this.idle.push(worker);
        resolve(reply);
      };
      const onError = (err: Error): void =>
        fail(
          new PoolFailure((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : 'crashed', err.message, {
            cause: err,
          }),
        );
      const onExit = (code: number): void => fail(new PoolFailure('exited', `the thread exited (code ${code}) before it answered`));
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(input, [...transfer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, { resourceLimits: this.options.resourceLimits });
    if (this.options.unref) worker.unref();
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
