import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestMirror, DAY, HOUR, visibleVersions } from '../helpers/mirror';
import { FakeUpstream } from '../helpers/fake-upstream';
import { distOf } from '../helpers/pack-tarball';
import { upstreamFetcher } from '../../server/sweeper/sweeper';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const versionsOf = visibleVersions;

test('a lockfile install on a fresh mirror: the tarball is classified before it is served', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('dep', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('dep', '1.0.1', { time: NOW - HOUR });
    const fresh = await fetch(`${m.mirror.url}dep/-/dep-1.0.1.tgz`);
    assert.equal(fresh.status, 403);
    assert.equal(((await fresh.json()) as { code: string }).code, 'QUARANTINED');
    assert.equal((await fetch(`${m.mirror.url}dep/-/dep-1.0.0.tgz`)).status, 200);
    const unknown = await fetch(`${m.mirror.url}dep/-/dep-9.9.9.tgz`);
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: string }).error, /dep@9\.9\.9 is not listed upstream/);
    assert.equal((await fetch(`${m.mirror.url}no-such-package/-/no-such-package-1.0.0.tgz`)).status, 404);
  } finally {
    await m.stop();
  }
});

test('a tarball file name that a hidden version shares with a visible one is refused', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('shared', '1.0.0', { time: NOW - 30 * DAY });
    await fetch(`${m.mirror.url}shared`);
    // A hostile or broken upstream lists a new version under the old version's tarball name.
    await m.mirror.runtime.quarantine.observe(
      {
        name: 'shared',
        versions: {
          '2.0.0': {
            dist: { tarball: `${m.upstream.url}shared/-/shared-1.0.0.tgz`, integrity: distOf(Buffer.from('other bytes')).integrity },
          },
        },
        time: { '2.0.0': new Date(NOW).toISOString() },
      },
      NOW,
    );
    const res = await fetch(`${m.mirror.url}shared/-/shared-1.0.0.tgz`);
    assert.equal(res.status, 403);
    const body = (await res.json()) as { version: string; code: string };
    assert.equal(body.version, '2.0.0');
    assert.equal(body.code, 'QUARANTINED');
  } finally {
    await m.stop();
  }
});

test('time releases a version, the sweeper writes it down, and a restart keeps states and the audit log', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-restart-'));
  const upstream = await new FakeUpstream().start();
  let m = await startTestMirror({ now: NOW, upstream, dataDir });
  try {
    upstream.publish('lib', '1.0.0', { time: NOW - 30 * DAY });
    upstream.publish('lib', '1.1.0', { time: NOW - HOUR });
    assert.deepEqual(await versionsOf(`${m.mirror.url}lib`), ['1.0.0']);
    await m.mirror.pipeline.drain();
    assert.equal((await m.mirror.runtime.store.versions.versionOf('lib', '1.1.0'))?.analysis, 'clean');

    m.clock.advance(71 * HOUR - 1);
    assert.deepEqual(await versionsOf(`${m.mirror.url}lib`), ['1.0.0'], 'one ms before the end');
    m.clock.advance(1);
    assert.deepEqual(await versionsOf(`${m.mirror.url}lib`), ['1.0.0', '1.1.0'], 'cooldown over');
    assert.equal((await fetch(`${m.mirror.url}lib/-/lib-1.1.0.tgz`)).status, 200);

    const result = await m.mirror.sweeper.runNow();
    assert.equal(result?.released, 1);
    const audit = await m.mirror.runtime.store.audit.ofPackage('lib');
    assert.deepEqual(
      audit.map((e) => [e.version, e.toState, e.cause]),
      [
        ['1.0.0', 'released', 'first-sight'],
        ['1.1.0', 'quarantined', 'first-sight'],
        ['1.1.0', null, 'analysis-finished'],
        ['1.1.0', 'released', 'cooldown-ended'],
      ],
    );
    upstream.publish('lib', '1.2.0', { time: m.clock.now() });
    assert.deepEqual(await versionsOf(`${m.mirror.url}lib`), ['1.0.0', '1.1.0']);

    await m.stop(false);
    m = await startTestMirror({ upstream, dataDir, clock: m.clock });
    const after = m.mirror.runtime.store;
    assert.equal((await after.versions.versionOf('lib', '1.1.0'))?.state, 'released');
    assert.equal((await after.versions.versionOf('lib', '1.2.0'))?.state, 'quarantined');
    assert.deepEqual(
      (await after.audit.ofPackage('lib')).map((e) => e.id),
      [...audit.map((e) => e.id), audit[audit.length - 1]!.id + 1],
    );
    assert.deepEqual(await versionsOf(`${m.mirror.url}lib`), ['1.0.0', '1.1.0']);
  } finally {
    await m.stop(false);
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the sweeper sees new versions and changed bytes upstream without a consumer asking', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('lib', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('lib', '1.1.0', { time: NOW - HOUR });
    await fetch(`${m.mirror.url}lib`);
    m.upstream.publish('lib', '1.2.0', { time: NOW });
    m.upstream.publish('lib', '1.1.0', { time: NOW - HOUR, files: { 'index.js': 'require("child_process").exec("curl evil")' } });
    const result = await m.mirror.sweeper.runNow();
    assert.deepEqual(result, { released: 0, refreshed: 1, failed: 0 });
    assert.equal(m.upstream.notModified, 0);
    assert.deepEqual(await m.mirror.sweeper.runNow(), { released: 0, refreshed: 1, failed: 0 });
    assert.equal(m.upstream.notModified, 1, 'an unchanged packument is not read again');
    const store = m.mirror.runtime.store;
    assert.equal((await store.versions.versionOf('lib', '1.2.0'))?.state, 'quarantined', 'first seen by the sweeper');
    assert.equal((await store.versions.versionOf('lib', '1.2.0'))?.firstSeenAt, NOW);
    assert.equal((await store.versions.versionOf('lib', '1.1.0'))?.state, 'blocked');
    const entry = (await store.audit.ofPackage('lib')).find((e) => e.cause === 'integrity-changed');
    assert.equal(entry?.version, '1.1.0');
    assert.ok(entry?.detail?.pinned && entry.detail.now && !String(entry.detail.now).includes(String(entry.detail.pinned)));

    await m.mirror.pipeline.drain();
    m.clock.advance(100 * DAY);
    const res = await fetch(`${m.mirror.url}lib/-/lib-1.1.0.tgz`);
    assert.equal(res.status, 403);
    const body = (await res.json()) as { code: string; error: string };
    assert.equal(body.code, 'BLOCKED');
    assert.match(body.error, /lib@1\.1\.0 is blocked by Cordon: upstream now describes other bytes under this version number/);
    assert.deepEqual(await versionsOf(`${m.mirror.url}lib`), ['1.0.0', '1.2.0']);
  } finally {
    await m.stop();
  }
});

test('per-package rules: zero cooldown for an internal scope, approval always for a package', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-rules-'));
  const file = join(dir, 'cordon.yaml');
  writeFileSync(file, 'packages:\n  - match: "@acme/*"\n    cooldown: 0\n  - match: "pay-*"\n    approval: always\n');
  const m = await startTestMirror({ now: NOW, env: { CORDON_CONFIG: file } });
  try {
    for (const name of ['@acme/tool', 'pay-sdk']) {
      m.upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY });
      await fetch(`${m.mirror.url}${name}`);
      m.upstream.publish(name, '1.0.1', { time: NOW });
    }
    await fetch(`${m.mirror.url}@acme%2ftool`);
    await m.mirror.pipeline.drain();
    assert.deepEqual(await versionsOf(`${m.mirror.url}@acme%2ftool`), ['1.0.0', '1.0.1']);
    m.clock.advance(365 * DAY);
    assert.deepEqual(await versionsOf(`${m.mirror.url}pay-sdk`), ['1.0.0'], 'waits for an approval whatever the time');
    const res = await fetch(`${m.mirror.url}pay-sdk/-/pay-sdk-1.0.1.tgz`);
    assert.match(((await res.json()) as { error: string }).error, /needs a signed approval/);
  } finally {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing store hides rather than shows', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('lib', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('lib', '1.1.0', { time: NOW - 100 * HOUR });
    await fetch(`${m.mirror.url}lib`);
    m.upstream.publish('lib', '1.2.0', { time: NOW - HOUR });
    m.upstream.publish('other', '1.0.0', { time: NOW - 30 * DAY });
    // The store becomes unreadable: every read fails closed from here on.
    await m.mirror.runtime.store.close();
    m.clock.advance(3 * 60_000);
    assert.deepEqual(await versionsOf(`${m.mirror.url}lib`), ['1.0.0', '1.1.0'], 'only the versions last known to be released');
    assert.deepEqual(await versionsOf(`${m.mirror.url}other`), [], 'nothing of a package it never saw');
    const tarball = await fetch(`${m.mirror.url}lib/-/lib-1.2.0.tgz`);
    assert.equal(tarball.status, 503);
    assert.match(((await tarball.json()) as { error: string }).error, /cannot check lib/);
  } finally {
    await m.stop();
  }
});

test('the upstream reader refuses malformed packuments', async () => {
  const upstream = await new FakeUpstream().start();
  try {
    upstream.publish('lib', '1.0.0', { time: NOW });
    const fetchPackument = upstreamFetcher(upstream.url);
    const first = await fetchPackument('lib');
    assert.ok(first !== 'unchanged');
    assert.equal(first.packument?.name, 'lib');
    assert.deepEqual(await fetchPackument('missing'), { packument: null });
    // Conditional on the ETag of what was observed: unchanged costs a 304, a new version does not.
    assert.ok(first.etag);
    assert.equal(await fetchPackument('lib', first.etag!), 'unchanged');
    upstream.publish('lib', '1.0.1', { time: NOW });
    const second = await fetchPackument('lib', first.etag!);
    assert.ok(second !== 'unchanged' && second.packument && '1.0.1' in second.packument.versions);
    // An answer about another package than the one asked for is refused, not observed.
    const liar = createServer((_req, res) => res.end(JSON.stringify({ name: 'other', versions: {} })));
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    try {
      const fromLiar = upstreamFetcher(`http://127.0.0.1:${(liar.address() as AddressInfo).port}/`);
      await assert.rejects(fromLiar('lib'), /answered for "other" when asked for lib/);
    } finally {
      liar.close();
    }
  } finally {
    await upstream.stop();
  }
});
