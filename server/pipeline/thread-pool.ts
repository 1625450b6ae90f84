/** A small pool of worker threads running analyses, so unpacking and parsing never stall request serving. */
import type { CordonConfig } from '../config';
import { join } from 'node:path';
import type { ResourceLimits } from 'node:worker_threads';
import { PoolFailure, WorkerPool } from '../threads/worker-pool';
import { AnalysisError, type AnalysisFailure, type AnalysisJobData, type AnalysisOutput } from './analysis-job';

type Reply = { ok: true; output: AnalysisOutput } | { ok: false; failure: AnalysisFailure };

export class ThreadPool {
  private readonly pool: WorkerPool<AnalysisJobData, Reply>;

  constructor(
    size: number,
    script: string = join(__dirname, 'analysis-thread.js'),
    /** Heap limits of each thread: a hostile tarball that needs more ends its own thread, never the process. */
    private readonly limits: ResourceLimits = {},
  ) {
    this.pool = new WorkerPool(script, { size, resourceLimits: limits });
  }

  /** Runs one job on a free thread; a thread that exceeds `timeoutMs` is terminated and replaced. */
  async run(job: AnalysisJobData, timeoutMs: number): Promise<AnalysisOutput> {
    const what = `${job.question.package}@${job.question.version}`;
    let reply: Reply;
    try {
      reply = await this.pool.run(job, timeoutMs);
    } catch (err) {
      if (!(err instanceof PoolFailure)) throw err;
      switch (err.kind) {
        case 'timeout':
          throw new AnalysisError('TIMEOUT', `the analysis of ${what} took longer than ${timeoutMs} ms`);
        case 'out-of-memory': {
          const mb = this.limits.maxOldGenerationSizeMb;
          throw new AnalysisError(
            'RESOURCE_LIMIT',
            `the analysis of ${what} needed more memory than an analysis thread may use${mb ? ` (${mb} MB, analysisMemory)` : ''}`,
            { cause: err },
          );
        }
        case 'closed':
          throw new AnalysisError('TRANSIENT', 'the analysis pool is shutting down');
        case 'busy':
          throw new AnalysisError('TRANSIENT', 'no free analysis thread');
        case 'exited':
          throw new AnalysisError('TRANSIENT', `the analysis thread exited before it answered (${err.message})`);
        default:
          throw new AnalysisError('TRANSIENT', `the analysis thread crashed: ${err.message}`, { cause: err });
      }
    }
    if (reply.ok) return reply.output;
    throw new AnalysisError(reply.failure.code, reply.failure.message);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The heap limits of analysis threads for `config` (analysisMemory): young generation a sixteenth, capped. */
export function analysisThreadLimits(config: Pick<CordonConfig, 'analysisMemoryBytes'>): ResourceLimits {
  const mb = Math.max(64, Math.floor(config.analysisMemoryBytes / (1024 * 1024)));
  return { maxOldGenerationSizeMb: mb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(mb / 16))) };
}
