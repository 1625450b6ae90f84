/** Entry of an analysis worker thread: runs the shared processor off the mirror's event loop. */
import { parentPort } from 'node:worker_threads';
import { toFailure, type AnalysisJobData } from './analysis-job';
import { processAnalysis } from './process-analysis';

parentPort?.on('message', (job: AnalysisJobData) => {
  processAnalysis(job).then(
    (output) => parentPort!.postMessage({ ok: true, output }),
    (err: unknown) => parentPort!.postMessage({ ok: false, failure: toFailure(err) }),
  );
});
