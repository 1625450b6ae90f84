/** The analysis pipeline: the one place that picks the runner (BullMQ when REDIS_URL is set, else embedded). */
import type { CordonRuntime } from '../runtime';
import type { Logger } from '../logger';
import { BullmqRunner } from './bullmq-runner';
import { EmbeddedRunner, type Execute } from './embedded-runner';
import { ResultRecorder } from './record-result';
import type { Runner } from './runner';
import { ThreadPool } from './thread-pool';

export type { Runner } from './runner';

/** Builds the runner for `runtime.config`; `execute` replaces the worker threads of the embedded runner (tests). */
export function createPipeline(runtime: CordonRuntime, logger: Logger, options: { execute?: Execute } = {}): Runner {
  const runner = buildRunner(runtime, logger, options);
  runtime.ops.metrics.watchQueue(runner.kind, () => runner.depth());
  return runner;
}

function buildRunner(runtime: CordonRuntime, logger: Logger, options: { execute?: Execute }): Runner {
  const recorder = new ResultRecorder(runtime, logger);
  if (runtime.config.redisUrl) return new BullmqRunner(runtime, recorder, logger);
  if (options.execute) return new EmbeddedRunner(runtime, recorder, options.execute, logger);
  const pool = new ThreadPool(runtime.config.analysisConcurrency);
  return new EmbeddedRunner(runtime, recorder, (job) => pool.run(job, runtime.config.analysisTimeoutMs), logger, () => pool.close());
}
