/** Entry of a diff worker thread: unpacking and diffing never stall request serving. */
import { parentPort } from 'node:worker_threads';
import { runDiffJob, type DiffJob, type DiffReply } from './diff-job';

parentPort?.on('message', (job: DiffJob) => {
  let reply: DiffReply;
  try {
    reply = runDiffJob(job);
  } catch (err) {
    reply = { ok: false, code: 'DIFF_UNREADABLE', message: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
