/** A few worker threads that build diffs; a thread that takes too long is terminated and replaced. */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DiffJob, DiffReply } from './diff-job';
import type { FilesDiff } from './diff-types';
import { DiffError } from './errors';

export class DiffPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();

  constructor(private readonly script: string = join(__dirname, 'diff-thread.js')) {}

  /** Runs `job` on an idle (or new) thread; the caller bounds how many run at once. */
  run(job: DiffJob, timeoutMs: number): Promise<FilesDiff> {
    const worker = this.idle.pop() ?? this.spawn();
    return new Promise<FilesDiff>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.discard(worker);
        reject(new DiffError('DIFF_TIMEOUT', `building the diff of ${job.current.id} took longer than ${timeoutMs} ms; try again later or use "cordon show --diff"`, { retryAfterSeconds: 30 }));
      }, timeoutMs);
      const onMessage = (reply: DiffReply): void => {
        cleanup();
        this.idle.push(worker);
        if (reply.ok) resolve(reply.diff);
        else reject(new DiffError(reply.code, reply.message));
      };
      const onError = (err: Error): void => {
        cleanup();
        this.discard(worker);
        reject(new DiffError('DIFF_UNREADABLE', `the diff thread failed: ${err.message}`, { cause: err }));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      // Transfer copies of the bytes: the caller's buffers may be views into a shared pool.
      const current = new Uint8Array(job.current.bytes);
      const previous = job.previous ? new Uint8Array(job.previous.bytes) : null;
      worker.postMessage({ current: { ...job.current, bytes: current }, previous: job.previous && previous ? { ...job.previous, bytes: previous } : null }, [current.buffer, ...(previous ? [previous.buffer] : [])]);
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  private spawn(): Worker {
    const worker = new Worker(this.script);
    worker.unref();
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
