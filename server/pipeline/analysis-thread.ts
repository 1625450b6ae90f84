/** Entry of an analysis worker thread: runs the shared processor off the mirror's event loop. */
import { parentPort } from 'node:worker_threads';
import { toFailure, type AnalysisJobData } from './analysis-job';
import { blobStoreFor, processAnalysis } from './process-analysis';

parentPort?.on('message', (job: AnalysisJobData) => {
  Promise.resolve()
    .then(() => {
      if (!job.blobsDir) throw new Error('the job names no verified store to read from');
      return processAnalysis(job, { blobs: blobStoreFor(job.blobsDir, job.limits) });
    })
    .then(
      (output) => parentPort!.postMessage({ ok: true, output }),
      (err: unknown) => parentPort!.postMessage({ ok: false, failure: toFailure(err) }),
    );
});
