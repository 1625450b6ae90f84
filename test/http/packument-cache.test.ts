import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import express from 'express';
import { ManualClock } from '../../server/clock';
import { silentLogger } from '../../server/logger';
import { nextVisibilityChange, packumentCache, type PackumentCacheOptions } from '../../server/http/packument-cache';
import type { Decisions } from '../../server/quarantine/quarantine-service';
import type { VersionDecision, VersionRecord } from '../../server/policy/version-state';

const T0 = Date.parse('2026-11-20T12:00:00Z');

/** A stand-in for Verdaccio's packument route: answers from `state` and counts how often it is asked. */
interface Upstream {
  calls: number;
  versions: string[];
  status: number;
}

interface Harness {
  url: string;
  upstream: Upstream;
  clock: ManualClock;
  state: { generation: number; nextChange: number | null; monotonic: number; failGeneration: boolean; live: boolean };
  close(): Promise<void>;
}

async function harness(overrides: Partial<PackumentCacheOptions> = {}): Promise<Harness> {
  const upstream: Upstream = { calls: 0, versions: ['1.0.0'], status: 200 };
  const clock = new ManualClock(T0);
  const state = { generation: 1, nextChange: null as number | null, monotonic: 0, failGeneration: false, live: true };
  const app = express();
  app.use(
    packumentCache({
      changes: {
        generation: () => {
          if (state.failGeneration) throw new Error('database is locked');
          return state.generation;
        },
        get live() {
          return state.live;
        },
      },
      nextChange: async () => state.nextChange,
      clock,
      logger: silentLogger,
      monotonicNow: () => state.monotonic,
      ...overrides,
    }),
  );
  app.get(/.*/, (req, res) => {
    upstream.calls++;
    const abbreviated = String(req.headers.accept ?? '').includes('install-v1');
    const body = JSON.stringify({
      name: 'pkg',
      versions: Object.fromEntries(upstream.versions.map((v) => [v, { version: v }])),
      abbreviated,
      host: req.headers.host,
    });
    res
      .status(upstream.status)
      .set('Content-Type', abbreviated ? 'application/vnd.npm.install-v1+json' : 'application/json')
      .set('ETag', `"${upstream.versions.join(',')}"`)
      .send(body);
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upstream,
    clock,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const versionsOf = (a: Answer): string[] => Object.keys((JSON.parse(a.body.toString('utf8')) as { versions: object }).versions);

test('a second GET of a packument is answered from memory with the same bytes and headers', async () => {
  const h = await harness();
  try {
    const first = await get(`${h.url}/pkg`);
    const second = await get(`${h.url}/pkg`);
    assert.equal(h.upstream.calls, 1);
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers['content-type'], first.headers['content-type']);
    assert.equal(second.headers.etag, first.headers.etag);
  } finally {
    await h.close();
  }
});

test('gzip is served to clients that accept it and decompresses to the cached bytes', async () => {
  const h = await harness();
  try {
    const plain = await get(`${h.url}/pkg`);
    const zipped = await get(`${h.url}/pkg`, { 'accept-encoding': 'gzip, deflate' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(zipped.body), plain.body);
    const refused = await get(`${h.url}/pkg`, { 'accept-encoding': 'gzip;q=0' });
    assert.equal(refused.headers['content-encoding'], undefined);
    assert.equal(h.upstream.calls, 1);
  } finally {
    await h.close();
  }
});

test('If-None-Match with the cached ETag gets 304', async () => {
  const h = await harness();
  try {
    const first = await get(`${h.url}/pkg`);
    const again = await get(`${h.url}/pkg`, { 'if-none-match': String(first.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  } finally {
    await h.close();
  }
});

test('full and abbreviated answers, and different hosts, are cached apart', async () => {
  const h = await harness();
  try {
    const full = await get(`${h.url}/pkg`);
    const abbreviated = await get(`${h.url}/pkg`, { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' });
    const otherHost = await get(`${h.url}/pkg`, { host: 'mirror.example' });
    assert.equal(h.upstream.calls, 3);
    assert.equal(JSON.parse(full.body.toString()).abbreviated, false);
    assert.equal(JSON.parse(abbreviated.body.toString()).abbreviated, true);
    assert.equal(JSON.parse(otherHost.body.toString()).host, 'mirror.example');
  } finally {
    await h.close();
  }
});

// Each case changes one thing an answer depends on; the next GET must reach Verdaccio and show the new versions.
const invalidations: { name: string; change: (h: Harness) => void }[] = [
  { name: 'a write to the store (generation changes)', change: (h) => h.state.generation++ },
  { name: 'the clock reaching the end of a cooldown', change: (h) => h.clock.set(h.state.nextChange!) },
  { name: 'the clock moving back before the entry was made', change: (h) => h.clock.set(T0 - 1) },
  { name: 'the entry outliving maxAgeMs (upstream may have changed)', change: (h) => (h.state.monotonic += 30_000) },
];
for (const { name, change } of invalidations) {
  test(`a cached packument is not served after ${name}`, async () => {
    const h = await harness();
    h.state.nextChange = T0 + 3_600_000;
    try {
      assert.deepEqual(versionsOf(await get(`${h.url}/pkg`)), ['1.0.0']);
      h.upstream.versions = ['1.0.0', '1.1.0'];
      assert.deepEqual(versionsOf(await get(`${h.url}/pkg`)), ['1.0.0'], 'unchanged inputs: served from memory');
      change(h);
      assert.deepEqual(versionsOf(await get(`${h.url}/pkg`)), ['1.0.0', '1.1.0']);
      assert.equal(h.upstream.calls, 2);
    } finally {
      await h.close();
    }
  });
}

test('an entry made while the store was being written is not reused once the write lands', async () => {
  const h = await harness();
  try {
    // First sight: the filter inserts rows during the request, so the generation read before it is already old.
    h.upstream.versions = ['1.0.0'];
    await get(`${h.url}/pkg`);
    h.state.generation++;
    await get(`${h.url}/pkg`);
    await get(`${h.url}/pkg`);
    assert.equal(h.upstream.calls, 2);
  } finally {
    await h.close();
  }
});

const passThrough: { name: string; path: string; headers?: Record<string, string>; method?: string; setup?: (h: Harness) => void }[] = [
  { name: 'a non-200 answer', path: '/pkg', setup: (h) => (h.upstream.status = 404) },
  { name: 'a request with credentials', path: '/pkg', headers: { authorization: 'Bearer x' } },
  { name: 'a request with a query string', path: '/pkg?write=true' },
  { name: 'a tarball', path: '/pkg/-/pkg-1.0.0.tgz' },
  { name: 'a single-version manifest', path: '/pkg/1.0.0' },
  { name: 'a listing under /-/', path: '/-/v1/search' },
  { name: 'a HEAD request', path: '/pkg', method: 'HEAD' },
  { name: 'a store that cannot be read', path: '/pkg', setup: (h) => (h.state.failGeneration = true) },
  // Changes made on another mirror may be missed while the change feed is down: nothing cached is trusted.
  { name: 'a change feed that is not live', path: '/pkg', setup: (h) => (h.state.live = false) },
];
for (const { name, path, headers, method, setup } of passThrough) {
  test(`${name} always goes to Verdaccio`, async () => {
    const h = await harness();
    try {
      setup?.(h);
      await get(`${h.url}${path}`, headers, method);
      await get(`${h.url}${path}`, headers, method);
      assert.equal(h.upstream.calls, 2);
    } finally {
      await h.close();
    }
  });
}

test('a failing nextChange is not cached (the answer is still sent)', async () => {
  const h = await harness({
    nextChange: async () => {
      throw new Error('boom');
    },
  });
  try {
    assert.deepEqual(versionsOf(await get(`${h.url}/pkg`)), ['1.0.0']);
    await get(`${h.url}/pkg`);
    assert.equal(h.upstream.calls, 2);
  } finally {
    await h.close();
  }
});

test('entries beyond maxBytes are evicted oldest first', async () => {
  const probe = await harness();
  const size = (await get(`${probe.url}/a`)).body.length;
  await probe.close();
  // Room for four answers (an entry may use at most a quarter of the budget), and five are asked for.
  const h = await harness({ maxBytes: 4 * size + 3 });
  try {
    for (const name of ['a', 'b', 'c', 'd', 'e']) await get(`${h.url}/${name}`);
    await get(`${h.url}/e`);
    assert.equal(h.upstream.calls, 5, 'the newest is kept');
    await get(`${h.url}/a`);
    assert.equal(h.upstream.calls, 6, 'the oldest was evicted');
  } finally {
    await h.close();
  }
});

function decision(visible: boolean, releaseAt: number | null): VersionDecision & { record: VersionRecord } {
  return { visible, state: visible ? 'released' : 'quarantined', releaseAt, reason: '', record: {} as VersionRecord };
}

const nextChangeCases: { name: string; decisions: [string, boolean, number | null][]; expected: number | null }[] = [
  { name: 'nothing hidden', decisions: [['1.0.0', true, null]], expected: null },
  { name: 'hidden for good (held, blocked, approval)', decisions: [['1.0.0', false, null]], expected: null },
  {
    name: 'the earliest future cooldown end',
    decisions: [
      ['1.0.0', false, T0 + 500],
      ['1.1.0', false, T0 + 100],
      ['1.2.0', true, T0 + 50],
    ],
    expected: T0 + 100,
  },
  {
    name: 'cooldown ends in the past are ignored',
    decisions: [
      ['1.0.0', false, T0 - 1],
      ['1.1.0', false, T0],
    ],
    expected: null,
  },
];
for (const { name, decisions, expected } of nextChangeCases) {
  test(`nextVisibilityChange: ${name}`, () => {
    const map: Decisions = new Map(decisions.map(([v, visible, releaseAt]) => [v, decision(visible, releaseAt)]));
    assert.equal(nextVisibilityChange(map, T0), expected);
  });
}
