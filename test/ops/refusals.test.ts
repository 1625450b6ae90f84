import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY, HOUR, NOW, startTestMirror } from '../helpers/mirror';
import { FakeUpstream } from '../helpers/fake-upstream';
import { captureLogger } from '../helpers/capture-logger';
import { scrape } from '../helpers/prometheus';
import { RefusalRecorder } from '../../server/ops/refusal-recorder';
import { openDatabase, RefusalStore } from '../../storage';
import type { RefusalPort } from '../../storage/ports';
import { silentLogger } from '../../server/logger';

const statusOf = async (base: string, name: string): Promise<Record<string, any>> => {
  const body = (await (await fetch(`${base}-/cordon/api/v1/packages/${name}`)).json()) as { versions: Array<Record<string, any>> };
  return Object.fromEntries(body.versions.map((v) => [v.version, v]));
};

test('every refusal is logged at warn with package, version, state, client, address and request id; counted; and tallied on the version', async () => {
  const upstream = await new FakeUpstream().start();
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-refusals-'));
  const { logger, lines } = captureLogger();
  const m = await startTestMirror({ now: NOW, upstream, dataDir, logger });
  let stopped = false;
  try {
    m.upstream.publish('worm', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('worm', '1.0.1', { time: NOW - HOUR });
    await (await fetch(`${m.mirror.url}worm`)).arrayBuffer();

    const asks: Array<[string, Record<string, string>, string?]> = [
      [
        'worm/-/worm-1.0.1.tgz',
        { 'user-agent': 'npm/10.9.0 node/v20.11.0 linux x64 workspaces/false ci/github-actions', 'x-forwarded-for': '10.1.2.3' },
      ],
      ['worm/-/worm-1.0.1.tgz', { 'user-agent': 'pnpm/9.0.0', 'x-request-id': 'lb-7f3a9c' }],
      ['worm/1.0.1', { 'user-agent': 'yarn/4.1.0\t\t{"forged":"line"}', 'x-request-id': 'not a token!' }],
      ['worm/-/worm-1.0.1.tgz', { 'user-agent': 'bun/1.1.0' }, 'HEAD'],
    ];
    const ids: string[] = [];
    for (const [path, headers, method] of asks) {
      m.clock.advance(1_000);
      const res = await fetch(`${m.mirror.url}${path}`, { headers, method: method ?? 'GET' });
      assert.equal(res.status, 403);
      ids.push(res.headers.get('x-request-id')!);
    }
    assert.equal((await fetch(`${m.mirror.url}worm/-/worm-1.0.0.tgz`)).status, 200);

    const refusals = lines.filter((l) => l.event === 'refusal');
    assert.equal(refusals.length, 4, 'one line per refusal, none for the version that was served');
    assert.ok(
      refusals.every(
        (l) => l.level === 'warn' && l.package === 'worm' && l.version === '1.0.1' && l.state === 'quarantined' && l.code === 'QUARANTINED',
      ),
    );
    assert.ok(refusals.every((l) => l.address === '127.0.0.1' || l.address === '::ffff:127.0.0.1'));
    assert.deepEqual(
      refusals.map((l) => l.reqId),
      ids,
      'the id in the log is the one the client got back',
    );
    assert.equal(ids[1], 'lb-7f3a9c', "a load balancer's request id is kept");
    assert.match(ids[2]!, /^[0-9a-f-]{36}$/, 'a request id that is not a plain token is replaced');
    assert.equal(refusals[0]!.userAgent, 'npm/10.9.0 node/v20.11.0 linux x64 workspaces/false ci/github-actions');
    assert.equal(refusals[0]!.forwardedFor, '10.1.2.3');
    assert.equal(refusals[2]!.userAgent, 'yarn/4.1.0 {"forged":"line"}', 'control characters are flattened');
    assert.deepEqual(
      refusals.map((l) => l.method),
      ['GET', 'GET', 'GET', 'HEAD'],
    );

    const before = (await statusOf(m.mirror.url, 'worm'))['1.0.1'].refusals;
    assert.deepEqual(
      before,
      { count: 4, firstAt: new Date(NOW + 1_000).toISOString(), lastAt: new Date(NOW + 4_000).toISOString(), lastUserAgent: 'bun/1.1.0' },
      'the page sees refusals before they are written',
    );
    assert.deepEqual((await statusOf(m.mirror.url, 'worm'))['1.0.0'].refusals, {
      count: 0,
      firstAt: null,
      lastAt: null,
      lastUserAgent: null,
    });
    const metrics = await scrape(`${m.mirror.url}-/cordon/metrics`);
    assert.equal(metrics.value('cordon_refusals_total', { code: 'QUARANTINED' }), 4);

    await m.mirror.runtime.ops.refusals.flush();
    assert.deepEqual((await statusOf(m.mirror.url, 'worm'))['1.0.1'].refusals, before, 'written once, not counted twice');
    await m.stop(false);
    stopped = true;

    const again = await startTestMirror({ now: NOW + DAY, upstream, dataDir });
    try {
      assert.deepEqual((await statusOf(again.mirror.url, 'worm'))['1.0.1'].refusals, before, 'kept across a restart');
      await fetch(`${again.mirror.url}worm/-/worm-1.0.1.tgz`, { headers: { 'user-agent': 'npm/11' } });
      const after = (await statusOf(again.mirror.url, 'worm'))['1.0.1'].refusals;
      assert.deepEqual(after, { count: 5, firstAt: before.firstAt, lastAt: new Date(NOW + DAY).toISOString(), lastUserAgent: 'npm/11' });
    } finally {
      await again.stop(false);
    }
  } finally {
    if (!stopped) await m.stop(false);
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('refusal tallies are written in batches, and kept in memory while the store cannot take them', async () => {
  const db = openDatabase(':memory:');
  const store = new RefusalStore(db);
  let failing = true;
  const flaky: RefusalPort = {
    async add(batch) {
      if (failing) throw new Error('database is locked');
      store.add(batch);
    },
    ofPackage: async (name: string) => store.ofPackage(name),
  };
  const recorder = new RefusalRecorder(flaky, silentLogger, 60_000);
  try {
    for (let i = 0; i < 1000; i++) recorder.add('storm', '6.6.6', NOW + i, `ci-${i}`);
    assert.equal(store.ofPackage('storm').size, 0, 'nothing written per request');
    await recorder.flush();
    recorder.add('storm', '6.6.6', NOW + 5_000, 'late');
    assert.deepEqual(
      Object.fromEntries(await recorder.of('storm')),
      { '6.6.6': { count: 1001, firstAt: NOW, lastAt: NOW + 5_000, lastUserAgent: 'late' } },
      'a failed write loses nothing',
    );
    failing = false;
    await recorder.flush();
    assert.deepEqual(
      Object.fromEntries(store.ofPackage('storm')),
      { '6.6.6': { count: 1001, firstAt: NOW, lastAt: NOW + 5_000, lastUserAgent: 'late' } },
      'one row, all of it',
    );
  } finally {
    await recorder.close();
  }
});
