import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestMirror, DAY, HOUR, NOW, visibleVersions } from '../helpers/mirror';

const WORKER = join(__dirname, '..', '..', 'server', 'pipeline', 'worker-main.js');
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A Redis of this test's own, without persistence: stopping it loses everything it held, as a crash would. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => /Ready to accept connections/.test(d.toString()) && resolve());
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  child.stdout!.resume();
  return child;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 40_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('Redis down mid-run (BullMQ): the mirror keeps serving, no job is lost, and the jobs run once Redis is back', {
  skip: hasRedis ? false : 'redis-server is not on the PATH',
}, async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cordon-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const queue = `cordon-redis-down-${process.pid}`;
  let redis = await startRedis(port, dir);
  const m = await startTestMirror({ now: NOW, env: { REDIS_URL: url, CORDON_QUEUE: queue } });
  const worker = spawn(process.execPath, [WORKER], {
    cwd: dir,
    env: { PATH: process.env.PATH, REDIS_URL: url, CORDON_QUEUE: queue, CORDON_ANALYSIS_LOCK: '2s', CORDON_DATA_DIR: join(dir, 'worker') },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  try {
    m.upstream.publish('steady', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('steady', '1.0.1', { time: NOW - HOUR });
    await fetch(`${m.mirror.url}steady`);
    await until(
      'the first analysis',
      async () => (await m.mirror.runtime.store.versions.versionOf('steady', '1.0.1'))?.analysis === 'clean',
    );

    redis.kill('SIGKILL'); // everything in Redis is gone
    await once(redis, 'exit');
    m.upstream.publish('steady', '1.0.2', { time: NOW - HOUR });
    m.upstream.tarballDelayMs = 0;
    assert.deepEqual(await visibleVersions(`${m.mirror.url}steady`), ['1.0.0'], 'serving, quarantine applied, first sight recorded');
    assert.equal((await fetch(`${m.mirror.url}steady/-/steady-1.0.0.tgz`)).status, 200);
    assert.equal((await fetch(`${m.mirror.url}-/ping`)).status, 200);
    assert.equal((await m.mirror.runtime.store.versions.versionOf('steady', '1.0.2'))?.analysis, 'pending');
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(
      (await m.mirror.runtime.store.versions.versionOf('steady', '1.0.2'))?.analysis,
      'pending',
      'nothing recorded while Redis is down',
    );

    redis = await startRedis(port, dir);
    await until(
      'the job queued while Redis was down to run',
      async () => (await m.mirror.runtime.store.versions.versionOf('steady', '1.0.2'))?.analysis === 'clean',
    );
    m.clock.advance(3 * DAY);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}steady`), ['1.0.0', '1.0.1', '1.0.2']);
  } finally {
    worker.kill('SIGKILL');
    await m.stop();
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
