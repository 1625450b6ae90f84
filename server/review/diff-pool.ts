/** A few worker threads that build diffs; a thread that takes too long is terminated and replaced. */
import { join } from 'node:path';
import { PoolFailure, WorkerPool } from '../threads/worker-pool';
import type { DiffJob, DiffReply } from './diff-job';
import type { FilesDiff } from './diff-types';
import { DiffError } from './errors';

export class DiffPool {
  private readonly pool: WorkerPool<DiffJob, DiffReply>;

  constructor(script: string = join(__dirname, 'diff-thread.js')) {
    this.pool = new WorkerPool(script, { unref: true });
  }

  /** Runs `job` on an idle (or new) thread; the caller bounds how many run at once. */
  async run(job: DiffJob, timeoutMs: number): Promise<FilesDiff> {
    // Transfer copies of the bytes: the caller's buffers may be views into a shared pool.
    const current = new Uint8Array(job.current.bytes);
    const previous = job.previous ? new Uint8Array(job.previous.bytes) : null;
    let reply: DiffReply;
    try {
      reply = await this.pool.run(
        { current: { ...job.current, bytes: current }, previous: job.previous && previous ? { ...job.previous, bytes: previous } : null },
        timeoutMs,
        [current.buffer, ...(previous ? [previous.buffer] : [])],
      );
    } catch (err) {
      if (err instanceof PoolFailure && err.kind === 'timeout') {
        throw new DiffError(
          'DIFF_TIMEOUT',
          `building the diff of ${job.current.id} took longer than ${timeoutMs} ms; try again later or use "cordon show --diff"`,
          { retryAfterSeconds: 30 },
        );
      }
      throw new DiffError('DIFF_UNREADABLE', `the diff thread failed: ${(err as Error).message}`, { cause: err });
    }
    if (reply.ok) return reply.diff;
    throw new DiffError(reply.code, reply.message);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
