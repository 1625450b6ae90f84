import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { DAY, NOW, startTestMirror } from '../helpers/mirror';
import { scrape } from '../helpers/prometheus';
import { openDatabase } from '../../storage';
import { databaseFile } from '../helpers/mirror';
import { redisConnection } from '../../server/pipeline/bullmq-connection';

const REDIS_URL = process.env.CORDON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const ready = async (
  base: string,
): Promise<{ status: number; body: { status: string; checks: Record<string, { ok: boolean; error?: string; [k: string]: unknown }> } }> => {
  const res = await fetch(`${base}-/cordon/health/ready`);
  return { status: res.status, body: (await res.json()) as never };
};

test('live answers while the process serves; ready checks store, data folder and upstream, and says which one fails', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    const live = await fetch(`${m.mirror.url}-/cordon/health/live`);
    assert.equal(live.status, 200);
    assert.deepEqual(Object.keys((await live.json()) as object).sort(), ['pid', 'status', 'uptimeSeconds']);

    // Upstream has not been asked anything yet: the check pings it.
    let r = await ready(m.mirror.url);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ready');
    assert.deepEqual(Object.keys(r.body.checks).sort(), ['dataDir', 'store', 'upstream'], 'no Redis check without Redis');
    assert.equal(r.body.checks.upstream!.pinged, true);
    assert.ok(m.upstream.requests.includes('GET /-/ping'));

    // Traffic through Verdaccio's uplink counts as upstream answering: no ping needed.
    m.upstream.publish('healthy', '1.0.0', { time: NOW - 30 * DAY });
    m.clock.advance(10 * 60_000);
    await (await fetch(`${m.mirror.url}healthy`)).arrayBuffer();
    const pings = m.upstream.requests.filter((q) => q === 'GET /-/ping').length;
    r = await ready(m.mirror.url);
    assert.equal(r.status, 200);
    assert.equal(r.body.checks.upstream!.pinged, undefined);
    assert.equal(r.body.checks.upstream!.lastAnswerAt, new Date(NOW + 10 * 60_000).toISOString());
    assert.equal(m.upstream.requests.filter((q) => q === 'GET /-/ping').length, pings);

    // Another connection holds the write lock (a stuck process, a backup taking the lock): the store cannot be written.
    const other = openDatabase(databaseFile(m.dataDir));
    other.prepare('BEGIN EXCLUSIVE').run();
    try {
      r = await ready(m.mirror.url);
      assert.equal(r.status, 503);
      assert.equal(r.body.status, 'not-ready');
      assert.equal(r.body.checks.store!.ok, false);
      assert.match(r.body.checks.store!.error!, /locked/);
      assert.equal(r.body.checks.dataDir!.ok, true);
      assert.equal(r.body.checks.upstream!.ok, true);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    assert.equal((await ready(m.mirror.url)).status, 200);

    // The data folder goes away under the mirror (an unmounted volume).
    renameSync(m.dataDir, `${m.dataDir}.gone`);
    try {
      r = await ready(m.mirror.url);
      assert.equal(r.status, 503);
      assert.equal(r.body.checks.dataDir!.ok, false);
      assert.match(r.body.checks.dataDir!.error!, /ENOENT/);
    } finally {
      renameSync(`${m.dataDir}.gone`, m.dataDir);
    }
    assert.equal((await ready(m.mirror.url)).status, 200);

    // Upstream goes down and stays quiet past the window: the ping fails.
    await m.upstream.stop();
    m.clock.advance(3 * 60_000);
    r = await ready(m.mirror.url);
    assert.equal(r.status, 503);
    assert.equal(r.body.checks.upstream!.ok, false);
    assert.match(r.body.checks.upstream!.error!, /cannot reach upstream at http:\/\/127\.0\.0\.1:\d+\/-\/ping \(ECONNREFUSED\)/);
    assert.equal(r.body.checks.upstream!.lastAnswerAt, new Date(NOW + 10 * 60_000).toISOString());
    assert.equal(r.body.checks.store!.ok, true);
    const metrics = await scrape(`${m.mirror.url}-/cordon/metrics`);
    assert.equal(
      metrics.value('cordon_upstream_errors_total', { kind: 'other', reason: 'ECONNREFUSED' }),
      1,
      'the failed ping is counted as an upstream error',
    );

    // From the moment a stop begins the mirror is not ready, so a load balancer moves away first.
    m.mirror.runtime.ops.beginStop();
    r = await ready(m.mirror.url);
    assert.equal(r.status, 503);
    assert.equal(r.body.checks.shutdown!.ok, false);
    assert.equal((await fetch(`${m.mirror.url}-/cordon/health/live`)).status, 200, 'live until the process stops serving');
  } finally {
    await m.stop();
  }
});

/** A TCP proxy to Redis that the test can cut and restore on the same port. */
class RedisProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  async up(): Promise<this> {
    const target = new URL(REDIS_URL);
    const server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }
  async cut(): Promise<void> {
    const server = this.server!;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('with BullMQ, ready checks Redis, and the metrics report the queue in Redis', async () => {
  const proxy = await new RedisProxy().up();
  const queueName = `cordon-health-${process.pid}-${Date.now().toString(36)}`;
  const m = await startTestMirror({ now: NOW, env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, CORDON_QUEUE: queueName } });
  try {
    assert.equal(m.mirror.pipeline.kind, 'bullmq');
    let r = await ready(m.mirror.url);
    assert.equal(r.status, 200);
    assert.equal(r.body.checks.redis!.ok, true);
    const metrics = await scrape(`${m.mirror.url}-/cordon/metrics`);
    assert.equal(metrics.value('cordon_analysis_jobs', { runner: 'bullmq', status: 'outbox' }), 0);
    assert.equal(metrics.value('cordon_analysis_jobs', { runner: 'bullmq', status: 'waiting' }), 0);

    await proxy.cut();
    r = await ready(m.mirror.url);
    assert.equal(r.status, 503);
    assert.equal(r.body.checks.redis!.ok, false);
    assert.match(r.body.checks.redis!.error!, /Redis/);
    assert.equal(r.body.checks.store!.ok, true);

    await proxy.up();
    const until = Date.now() + 20_000;
    for (r = await ready(m.mirror.url); r.status !== 200; r = await ready(m.mirror.url)) {
      assert.ok(Date.now() < until, `Redis is back but ready still says ${JSON.stringify(r.body.checks.redis)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(r.body.checks.redis!.ok, true);
  } finally {
    await m.stop();
    await proxy.cut().catch(() => undefined);
    const connection = redisConnection(REDIS_URL);
    const queue = new Queue(queueName, { connection });
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
  }
});
