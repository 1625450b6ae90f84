import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDiffService } from '../../server/review/diff-service';
import { DiffError } from '../../server/review/errors';
import { distOf, packTarball } from '../helpers/pack-tarball';
import { DAY, HOUR, NOW, startTestMirror } from '../helpers/mirror';

const v1 = packTarball({ 'package.json': '{"name":"x","version":"1.0.0"}', 'index.js': 'a\n' });
const v2 = packTarball({ 'package.json': '{"name":"x","version":"1.0.1"}', 'index.js': 'a\nb\n' });
const packument = async () => ({
  name: 'x',
  versions: { '1.0.0': { name: 'x', version: '1.0.0' }, '1.0.1': { name: 'x', version: '1.0.1', scripts: { postinstall: 'p' } } },
});

test('the byte source is one injected function: each version+integrity is read and diffed once, then cached', async () => {
  const loads: string[] = [];
  const diffs = createDiffService(
    { upstream: 'http://127.0.0.1:1/' },
    {
      loadVersionBytes: async (_n, v) => {
        loads.push(v);
        return v === '1.0.0' ? v1 : v2;
      },
      loadPackument: packument,
    },
  );
  try {
    const request = {
      name: 'x',
      version: '1.0.1',
      integrity: distOf(v2).integrity,
      previous: { version: '1.0.0', integrity: distOf(v1).integrity },
    };
    const [a, b] = await Promise.all([diffs.build(request), diffs.build(request)]);
    assert.equal(a, b, 'concurrent requests share one build');
    assert.deepEqual(
      a.files.map((f) => [f.path, f.change]),
      [
        ['index.js', 'changed'],
        ['package.json', 'changed'],
      ],
    );
    assert.deepEqual(a.metadata!.find((s) => s.name === 'scripts')!.changes, [{ key: 'postinstall', before: null, after: 'p' }]);
    await diffs.build(request);
    assert.deepEqual(loads.sort(), ['1.0.0', '1.0.1']);
  } finally {
    await diffs.close();
  }
});

test('bytes that do not match the recorded integrity are refused, whatever the source says', async () => {
  const diffs = createDiffService({ upstream: 'http://127.0.0.1:1/' }, { loadVersionBytes: async () => v1, loadPackument: packument });
  try {
    await assert.rejects(
      diffs.build({ name: 'x', version: '1.0.1', integrity: distOf(v2).integrity, previous: null }),
      (e: unknown) => e instanceof DiffError && e.code === 'DIFF_INTEGRITY' && e.status === 502,
    );
  } finally {
    await diffs.close();
  }
});

test('beyond the concurrency limit a build is refused with DIFF_BUSY, and over HTTP with 429 and Retry-After', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const diffs = createDiffService(
    { upstream: 'http://127.0.0.1:1/' },
    {
      concurrency: 1,
      loadVersionBytes: async () => {
        await gate;
        return v2;
      },
      loadPackument: packument,
    },
  );
  const integrity = distOf(v2).integrity;
  const first = diffs.build({ name: 'x', version: '1.0.1', integrity, previous: null });
  await assert.rejects(
    diffs.build({ name: 'y', version: '1.0.1', integrity, previous: null }),
    (e: unknown) => e instanceof DiffError && e.code === 'DIFF_BUSY' && e.retryAfterSeconds === 5,
  );
  release();
  await first;
  await diffs.close();

  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.tarballDelayMs = 300;
    const names = ['p1', 'p2', 'p3', 'p4'];
    for (const n of names) m.upstream.publish(n, '1.0.0', { time: NOW - 30 * DAY });
    await Promise.all(names.map((n) => fetch(`${m.mirror.url}${n}`).then((r) => r.arrayBuffer())));
    for (const n of names) m.upstream.publish(n, '1.0.1', { time: NOW - HOUR });
    await Promise.all(names.map((n) => fetch(`${m.mirror.url}${n}`).then((r) => r.arrayBuffer())));
    await m.mirror.pipeline.drain();
    const answers = await Promise.all(names.map((n) => fetch(`${m.mirror.url}-/cordon/api/v1/review/diff?package=${n}&version=1.0.1`)));
    const busy = answers.filter((r) => r.status === 429);
    assert.equal(answers.filter((r) => r.status === 200).length, 2, 'two builds at once (the default)');
    assert.equal(busy.length, 2);
    assert.equal(busy[0]!.headers.get('retry-after'), '5');
    assert.equal(((await busy[0]!.json()) as { code: string }).code, 'DIFF_BUSY');
    const ping = await fetch(`${m.mirror.url}-/ping`);
    assert.equal(ping.status, 200);
  } finally {
    await m.stop();
  }
});
