/** The packument cache under load: one fill per answer, stale-while-refresh, large documents, gzip off the event loop. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ManualClock } from '../../server/clock';
import { silentLogger } from '../../server/logger';
import { packumentCache } from '../../server/http/packument-cache';

const T0 = Date.parse('2026-11-20T12:00:00Z');

async function harness(bodyBytes = 1_000) {
  const state = { calls: 0, monotonic: 0, gate: Promise.resolve() as Promise<void>, fail: false };
  const app = express();
  app.use(
    packumentCache({
      changes: { generation: () => 1, live: true },
      nextChange: async () => null,
      clock: new ManualClock(T0),
      logger: silentLogger,
      monotonicNow: () => state.monotonic,
      maxAgeMs: 30_000,
    }),
  );
  app.get(/.*/, (_req, res) => {
    state.calls++;
    const call = state.calls;
    void state.gate.then(() =>
      state.fail
        ? res.status(500).json({ error: 'internal server error' })
        : res.type('application/json').send(JSON.stringify({ name: 'pkg', call, versions: {}, pad: 'x'.repeat(bodyBytes) })),
    );
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pkg`;
  const get = async (headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), encoding: res.headers.get('content-encoding') };
  };
  return { state, get, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

test('concurrent requests for an answer not cached yet are filled once', async () => {
  const h = await harness();
  try {
    const g = gate();
    h.state.gate = g.promise;
    const answers = Array.from({ length: 6 }, () => h.get());
    await new Promise((r) => setTimeout(r, 50));
    g.open();
    const all = await Promise.all(answers);
    assert.equal(h.state.calls, 1, 'Verdaccio made the answer once');
    assert.ok(all.every((a) => a.status === 200 && a.body.equals(all[0]!.body)));
  } finally {
    await h.close();
  }
});

test('a right answer past its age is served at once while one request refreshes it', async () => {
  const h = await harness();
  try {
    const first = await h.get();
    h.state.monotonic += 31_000;
    const g = gate();
    h.state.gate = g.promise;
    const refreshing = h.get();
    await new Promise((r) => setTimeout(r, 50));
    const meanwhile = await h.get();
    assert.deepEqual(meanwhile.body, first.body, 'served the answer it had, without waiting for the refresh');
    assert.equal(h.state.calls, 2);
    g.open();
    const refreshed = await refreshing;
    assert.equal((JSON.parse(refreshed.body.toString()) as { call: number }).call, 2);
    assert.equal((JSON.parse((await h.get()).body.toString()) as { call: number }).call, 2, 'the refreshed answer is cached');
  } finally {
    await h.close();
  }
});

test('a 40 MB packument is cached too, and its gzip is made once', async () => {
  const h = await harness(40 * 1024 * 1024);
  try {
    const plain = await h.get();
    const zipped = await Promise.all([h.get({ 'accept-encoding': 'gzip' }), h.get({ 'accept-encoding': 'gzip' })]);
    assert.equal(h.state.calls, 1);
    for (const z of zipped) {
      assert.equal(z.encoding, 'gzip');
      assert.ok(z.body.equals(plain.body), 'fetch decompressed it to the same bytes');
    }
  } finally {
    await h.close();
  }
});

test('a right answer it has is served when Verdaccio fails to refresh it (a full disk); without one, the error says what to do', async () => {
  const h = await harness();
  try {
    const first = await h.get();
    h.state.monotonic += 31_000;
    h.state.fail = true;
    const during = await h.get();
    assert.equal(during.status, 200);
    assert.deepEqual(during.body, first.body);
    const other = await fetch(h.url.replace(/pkg$/, 'other-pkg'));
    assert.equal(other.status, 503);
    assert.match(((await other.json()) as { error: string }).error, /cannot answer for other-pkg right now/);
    h.state.fail = false;
    h.state.monotonic += 31_000;
    assert.equal((JSON.parse((await h.get()).body.toString()) as { call: number }).call, 4, 'refreshed once Verdaccio answers again');
  } finally {
    await h.close();
  }
});
