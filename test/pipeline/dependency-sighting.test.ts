import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestMirror, DAY, HOUR, visibleVersions } from '../helpers/mirror';
import { NpmClient } from '../helpers/npm-client';
import { addedOrChanged, registryDependencies, registryTarget } from '../../server/pipeline/dependency-names';

const NOW = Date.parse('2026-11-20T12:00:00Z');

test('registry dependencies: aliases resolve to the real package; git, URL, file and workspace specs are not registry packages', () => {
  assert.deepEqual(registryTarget('lodash', '^4.17.0'), { name: 'lodash', range: '^4.17.0' });
  assert.deepEqual(registryTarget('innocent', 'npm:evil-pkg@^1.0.0'), { name: 'evil-pkg', range: '^1.0.0' });
  assert.deepEqual(registryTarget('scoped', 'npm:@evil/pkg@1.0.0'), { name: '@evil/pkg', range: '1.0.0' });
  assert.deepEqual(registryTarget('latest-tag', 'latest'), { name: 'latest-tag', range: 'latest' });
  for (const spec of [
    'git+https://github.com/a/b.git',
    'github:a/b',
    'a/b',
    'a/b#main',
    'https://x.test/a.tgz',
    'file:../a',
    'link:../a',
    'workspace:*',
    './local',
  ]) {
    assert.equal(registryTarget('x', spec), null, spec);
  }
  const next = registryDependencies({
    dependencies: { a: '^1.0.0', b: '^2.0.0 || ^3.0.0' },
    optionalDependencies: { c: '1.0.0' },
    peerDependencies: { d: '*' },
    devDependencies: { e: '1' },
  });
  assert.deepEqual([...next.keys()].sort(), ['a', 'b', 'c', 'd']);
  const previous = registryDependencies({ dependencies: { a: '^1.0.0', b: '^2.0.0' } });
  assert.deepEqual(addedOrChanged(next, previous), ['b', 'c', 'd'], 'added, and widened');
});

test('a dependency published beside the version that adds it is sighted at once, waits in quarantine, and its postinstall never runs', async () => {
  const m = await startTestMirror({ now: NOW });
  const npm = new NpmClient(m.mirror.url);
  const markerDir = mkdtempSync(join(tmpdir(), 'cordon-payload-'));
  const marker = join(markerDir, 'ran');
  try {
    m.upstream.publish('popular-lib', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('popular-lib', '1.0.1', { time: NOW - HOUR, dependencies: { 'tiny-helper-x': '^1.0.0' } });
    m.upstream.publish('tiny-helper-x', '1.0.0', {
      time: NOW - HOUR,
      scripts: { postinstall: `node -e "require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')"` },
    });
    // Nobody asks for tiny-helper-x: only popular-lib's analysis can know of it.
    await fetch(`${m.mirror.url}popular-lib`);
    await m.mirror.pipeline.drain();
    const helper = await m.mirror.runtime.store.versions.versionOf('tiny-helper-x', '1.0.0');
    assert.equal(helper?.firstSeenAt, NOW, 'sighted while popular-lib@1.0.1 was analysed');
    assert.equal(helper?.state, 'held', 'young when sighted, so analysed: its new postinstall holds it');
    assert.ok(
      (await m.mirror.runtime.store.audit.ofPackage('tiny-helper-x')).some((e) => e.cause === 'first-sight' && e.toState === 'quarantined'),
    );
    assert.ok(!m.upstream.unexpected.length, m.upstream.unexpected.join(', '));

    const adder = await m.mirror.runtime.store.versions.versionOf('popular-lib', '1.0.1');
    assert.equal(adder?.state, 'held', 'adding a dependency first published an hour ago is itself a finding');
    assert.match(adder!.reason, /dependency\/young-dependency/);

    m.clock.advance(4 * DAY);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}popular-lib`), ['1.0.0']);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}tiny-helper-x`), [], 'time does not turn it into a baseline');
    const install = await npm.run(['install', 'popular-lib']);
    assert.equal(install.code, 0, install.stderr);
    assert.equal(npm.installed('popular-lib'), '1.0.0');
    npm.reset();
    const pinned = await npm.run(['install', 'tiny-helper-x@1.0.0']);
    assert.notEqual(pinned.code, 0, 'the dependency itself is held');
    assert.equal(existsSync(marker), false, 'the payload never ran');
  } finally {
    await m.stop();
    npm.remove();
    rmSync(markerDir, { recursive: true, force: true });
  }
});

test('a dependency upstream does not know is recorded, so whatever appears under its name later is new', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('app-lib', '2.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('app-lib', '2.0.1', { time: NOW - HOUR, dependencies: { 'internal-only-name': '^1.0.0' } });
    await fetch(`${m.mirror.url}app-lib`);
    await m.mirror.pipeline.drain();
    assert.equal(await m.mirror.runtime.quarantine.knows('internal-only-name'), true);
    // An attacker claims the name and backdates the publish time past the cooldown.
    m.upstream.publish('internal-only-name', '1.0.0', { time: NOW - 10 * DAY });
    m.clock.advance(HOUR);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}internal-only-name`), []);
    assert.equal(
      (await m.mirror.runtime.store.versions.versionOf('internal-only-name', '1.0.0'))?.state,
      'quarantined',
      'not a baseline: the name was known before it existed',
    );
  } finally {
    await m.stop();
  }
});

test('the burst detector sees the versions a sighting records', async () => {
  const m = await startTestMirror({ now: NOW, env: { CORDON_CONFIG: '' } });
  try {
    const by = { manifest: { _npmUser: { name: 'mallory', email: 'm@x.test' } } };
    m.upstream.publish('host-lib', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('host-lib', '1.0.1', { time: NOW - 5 * 60_000, dependencies: { 'rider-a': '^1.0.0', 'rider-b': '^1.0.0' }, ...by });
    for (const name of ['rider-a', 'rider-b']) {
      for (let i = 0; i < 5; i++) m.upstream.publish(name, `1.0.${i}`, { time: NOW - 4 * 60_000 + i * 1000, ...by });
    }
    await fetch(`${m.mirror.url}host-lib`);
    await m.mirror.pipeline.drain();
    const status = (await (await fetch(`${m.mirror.url}-/cordon/api/v1/packages/host-lib`)).json()) as {
      versions: Array<{ version: string; findings: Array<{ rule: string; severity: string }> }>;
    };
    const burst = status.versions.find((v) => v.version === '1.0.1')!.findings.find((f) => f.rule === 'metadata/publish-burst');
    assert.equal(burst?.severity, 'medium', 'eleven versions of three packages by one publisher in minutes, two of them several times');
    assert.equal((await m.mirror.runtime.store.versions.versionOf('host-lib', '1.0.1'))?.state, 'held');
  } finally {
    await m.stop();
  }
});
