/**
 * `npm run worker`: a BullMQ worker that analyses versions for a Cordon mirror. It needs only Redis
 * (REDIS_URL), the queue (CORDON_QUEUE, or the mirror's id in CORDON_MIRROR_ID) and the upstream
 * registry, not the SQLite file, so any number of them can run on any machines. It reads verified
 * tarballs from its own data folder's store (CORDON_DATA_DIR/blobs), filling it from upstream against
 * each job's pinned digests; give it the mirror's data volume and the mirror's bytes are read in place.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import { loadConfigOrExit } from '../config/load-or-exit';
import { AnalysisError, toFailure, type AnalysisJobData, type AnalysisOutput } from './analysis-job';
import { assembleWorker } from '../assemble';

/**
 * The BullMQ processor: runs the shared processor on a worker thread (so a long parse never stops the
 * worker from renewing its job locks, and a timed-out analysis is really stopped); transient faults are
 * retried with backoff, everything else fails for good.
 */
async function bullmqProcessor(data: AnalysisJobData, run: (job: AnalysisJobData) => Promise<AnalysisOutput>): Promise<AnalysisOutput> {
  try {
    return await run(data);
  } catch (err) {
    const failure = toFailure(err);
    const text = `${failure.code}: ${failure.message}`;
    if (err instanceof AnalysisError && !err.retryable) throw new UnrecoverableError(text);
    throw new Error(text);
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit('cordon worker');
  if (!config.redisUrl) {
    process.stderr.write(
      'cordon worker: REDIS_URL is not set. Set it to the Redis the mirror uses (e.g. REDIS_URL=redis://127.0.0.1:6379) and start again.\n',
    );
    process.exit(2);
  }
  if (!config.queueName && !config.mirrorId) {
    process.stderr.write(
      'cordon worker: set CORDON_MIRROR_ID to the id of the mirror to work for (GET /-/cordon/api/v1/approvals/mirror shows it), or CORDON_QUEUE to its queue, and start again.\n',
    );
    process.exit(2);
  }
  const runtime = assembleWorker({ ...config, redisUrl: config.redisUrl });
  const { queueName, blobsDir, connection, pool } = runtime;
  const worker = new Worker<AnalysisJobData, AnalysisOutput>(
    queueName,
    (job) => bullmqProcessor({ ...job.data, blobsDir }, (data) => pool.run(data, config.analysisTimeoutMs)),
    {
      connection,
      concurrency: config.analysisConcurrency,
      lockDuration: config.analysisLockMs,
      stalledInterval: config.analysisLockMs,
    },
  );
  worker.on('failed', (job, err) =>
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', msg: 'analysis failed', package: job?.data.question?.package, version: job?.data.question?.version, attempt: job?.attemptsMade, err: err.message })}\n`,
    ),
  );
  worker.on('completed', (job) =>
    process.stdout.write(
      `${JSON.stringify({ level: 'info', msg: 'analysis finished', package: job.data.question?.package, version: job.data.question?.version })}\n`,
    ),
  );
  await worker.waitUntilReady();
  process.stdout.write(
    `cordon worker: processing queue "${queueName}" on ${config.redisUrl} with concurrency ${config.analysisConcurrency}\n`,
  );
  const stop = (): void => {
    worker.close().then(
      () => runtime.close().finally(() => process.exit(0)),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`cordon worker: cannot start: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  });
}
