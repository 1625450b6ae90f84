/** The analysis pipeline: the one place that picks the runner (BullMQ when REDIS_URL is set, else embedded). */
import type { CordonRuntime } from '../assemble';
import type { Logger } from '../logger';
import { UpstreamError } from '../upstream/errors';
import { fetchPackument } from '../upstream/registry-client';
import type { Packument } from '../policy/manifest';
import type { Job } from '../../storage';
import type { AnalysisJobData } from './analysis-job';
import { BullmqRunner } from './bullmq-runner';
import { EmbeddedRunner, type Execute } from './embedded-runner';
import { PackumentBatch, type FetchUpstreamPackument } from './packument-batch';
import { prepareJob } from './prepare-job';
import { ResultRecorder } from './record-result';
import type { Runner } from './runner';
import { analysisThreadLimits, ThreadPool } from './thread-pool';

export type { Runner } from './runner';

/** Reads full packuments from the configured upstream; null when upstream does not have the package. */
export function upstreamPackuments(upstream: string): FetchUpstreamPackument {
  return async (name) => {
    try {
      return (await fetchPackument(upstream, name)) as unknown as Packument;
    } catch (err) {
      if (err instanceof UpstreamError && err.code === 'UPSTREAM_NOT_FOUND') return null;
      throw err;
    }
  };
}

/** The mirror's half of every job, sharing one packument batch. */
function preparer(
  runtime: PipelineRuntime,
  logger: Logger,
  blobsDir: string | null,
  fetch: FetchUpstreamPackument,
): (job: Job) => Promise<AnalysisJobData> {
  const { config } = runtime;
  const packuments = new PackumentBatch(fetch);
  return (job) =>
    prepareJob(job, {
      mirrorId: runtime.mirrorId,
      upstream: config.upstream,
      store: runtime.store,
      quarantine: runtime.quarantine,
      packuments,
      now: () => runtime.clock.now(),
      blobsDir,
      limits: { maxTarballBytes: config.maxTarballBytes, tarballTimeoutMs: config.tarballTimeoutMs },
      budget: {
        maxFileParseBytes: config.analysisParseBudgetBytes,
        maxTotalParseBytes: config.analysisParseBudgetBytes * 8,
        timeMs: config.analysisTimeBudgetMs,
      },
      youngDependency: config.youngDependency,
      burst: config.burst,
      logger,
    });
}

export interface PipelineOptions {
  /** Replaces the worker threads of the embedded runner (tests). */
  readonly execute?: Execute;
  /** Replaces the upstream packument reader (tests). */
  readonly fetchPackument?: FetchUpstreamPackument;
}

/** Builds the runner for `runtime.config`, its queue depth watched by the metrics. */
/** What the pipeline is built from. */
export type PipelineRuntime = Pick<CordonRuntime, 'config' | 'mirrorId' | 'store' | 'quarantine' | 'clock' | 'ops' | 'blobs'>;

export function createPipeline(runtime: PipelineRuntime, logger: Logger, options: PipelineOptions = {}): Runner {
  const runner = buildRunner(runtime, logger, options);
  runtime.ops.metrics.watchQueue(runner.kind, () => runner.depth());
  return runner;
}

function buildRunner(runtime: PipelineRuntime, logger: Logger, options: PipelineOptions): Runner {
  const recorder = new ResultRecorder(runtime, logger);
  const fetch = options.fetchPackument ?? upstreamPackuments(runtime.config.upstream);
  // BullMQ workers may run on other machines: they read their own verified store (or a shared volume).
  if (runtime.config.redisUrl) return new BullmqRunner(runtime, recorder, preparer(runtime, logger, null, fetch), logger);
  const prepare = preparer(runtime, logger, runtime.blobs.root, fetch);
  if (options.execute) return new EmbeddedRunner(runtime, recorder, prepare, options.execute, logger);
  const pool = new ThreadPool(runtime.config.analysisConcurrency, undefined, analysisThreadLimits(runtime.config));
  return new EmbeddedRunner(
    runtime,
    recorder,
    prepare,
    (job) => pool.run(job, runtime.config.analysisTimeoutMs),
    logger,
    () => pool.close(),
  );
}
