import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestMirror, DAY, HOUR, NOW, visibleVersions, type TestMirror } from '../helpers/mirror';
import { startApprovalMirror } from '../approvals/approval-mirror';
import { testApprover } from '../approvals/keys';
import { verifyAudit } from '../../server/approvals/audit-verify';

const MINUTE = 60_000;

/** Runs every ready analysis, advancing the clock `step` ms between rounds, `rounds` times. */
async function rounds(m: TestMirror, count: number, step: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await m.mirror.pipeline.drain();
    m.clock.advance(step);
  }
  await m.mirror.pipeline.drain();
}

const state = (m: TestMirror, name: string, version: string) => m.mirror.runtime.store.versions.versionOf(name, version);

test('one 404 for a tarball, one stale packument and one sweep without the version never block it', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('lagging', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('lagging', '1.0.1', { time: NOW - HOUR });
    m.upstream.notFoundTarballs = 1; // the CDN has not caught up with the publish
    await fetch(`${m.mirror.url}lagging`);
    await m.mirror.pipeline.drain();
    assert.equal((await state(m, 'lagging', '1.0.1'))?.state, 'quarantined');
    assert.equal((await state(m, 'lagging', '1.0.1'))?.analysis, 'pending', 'waits for another try');
    await rounds(m, 1, 11 * MINUTE);
    assert.equal((await state(m, 'lagging', '1.0.1'))?.analysis, 'clean', 'analysed once the tarball is served');

    const tarball = m.upstream.tarballOf('lagging', '1.0.1');
    m.upstream.publish('lagging', '1.0.2', { time: m.clock.now() - MINUTE });
    await fetch(`${m.mirror.url}lagging`);
    const bytes = m.upstream.tarballOf('lagging', '1.0.2');
    m.upstream.withdraw('lagging', '1.0.2'); // one stale packument (and one sweep) without it
    await m.mirror.pipeline.drain();
    await m.mirror.sweeper.runNow();
    assert.equal((await state(m, 'lagging', '1.0.2'))?.state, 'quarantined', 'one answer without the version is not a withdrawal');
    m.upstream.publish('lagging', '1.0.2', { time: m.clock.now() - MINUTE, tarball: bytes });
    await rounds(m, 1, 11 * MINUTE);
    await m.mirror.sweeper.runNow();
    assert.equal((await state(m, 'lagging', '1.0.2'))?.analysis, 'clean');
    assert.equal((await state(m, 'lagging', '1.0.2'))?.state, 'quarantined');
    m.clock.advance(3 * DAY);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}lagging`), ['1.0.0', '1.0.1', '1.0.2']);
    assert.ok(tarball.length > 0);
    assert.ok(!(await m.mirror.runtime.store.audit.ofPackage('lagging')).some((e) => e.toState === 'blocked'));
  } finally {
    await m.stop();
  }
});

test('a withdrawal is confirmed only by repeated answers over the window; until then the version waits in quarantine', async () => {
  const m = await startTestMirror({ now: NOW, env: { CORDON_WITHDRAW_CONFIRMATIONS: '3', CORDON_WITHDRAW_WINDOW: '30m' } });
  try {
    m.upstream.publish('pulled', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('pulled', '1.0.1', { time: NOW - HOUR });
    await fetch(`${m.mirror.url}pulled`);
    await m.mirror.pipeline.drain();
    m.upstream.withdraw('pulled', '1.0.1');
    for (let minute = 0; minute < 30; minute += 5) {
      await m.mirror.sweeper.runNow();
      assert.equal((await state(m, 'pulled', '1.0.1'))?.state, 'quarantined', `still quarantined after ${minute} minutes`);
      m.clock.advance(5 * MINUTE);
    }
    await m.mirror.sweeper.runNow();
    assert.equal((await state(m, 'pulled', '1.0.1'))?.state, 'blocked', 'confirmed after 30 minutes of answers without it');
    const entry = (await m.mirror.runtime.store.audit.ofPackage('pulled')).find((e) => e.cause === 'withdrawn-upstream');
    assert.ok(entry);
    assert.ok(Number((entry.detail as { misses: number }).misses) >= 3);
    assert.equal((await fetch(`${m.mirror.url}pulled/-/pulled-1.0.1.tgz`)).status, 403);
  } finally {
    await m.stop();
  }
});

test('a signed decision clears a withdrawal block, its reason is audited, and the version is analysed again', async () => {
  const alice = testApprover('alice');
  const m = await startApprovalMirror([alice]);
  try {
    const api = `${m.mirror.url}-/cordon/api/v1/approvals`;
    m.upstream.publish('cdn-lag', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('cdn-lag', '1.0.1', { time: NOW - HOUR });
    m.upstream.notFoundTarballs = 1_000; // the tarball stays missing for more than the window
    await fetch(`${m.mirror.url}cdn-lag`);
    await rounds(m, 4, 11 * MINUTE);
    assert.equal((await state(m, 'cdn-lag', '1.0.1'))?.state, 'blocked');
    assert.equal((await state(m, 'cdn-lag', '1.0.1'))?.analysis, 'pending', 'it was never analysed');

    const statement = async (decision: string) => {
      const res = await fetch(
        `${api}/statement?package=cdn-lag&version=1.0.1&decision=${decision}&reason=${encodeURIComponent('the CDN lagged; npm view shows it')}&key=${encodeURIComponent(alice.approver.publicKey)}`,
      );
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const rejected = await statement('reject');
    assert.equal(rejected.status, 409, 'nothing to reject: it was never analysed and stays blocked');
    assert.equal(rejected.body.code, 'NOT_DECIDABLE');
    const { body } = await statement('approve');
    const post = await fetch(`${api}/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ package: 'cdn-lag', version: '1.0.1', statement: body.text, signature: alice.sign(body.text) }),
    });
    assert.equal(post.status, 201, await post.clone().text());
    assert.equal((await state(m, 'cdn-lag', '1.0.1'))?.state, 'quarantined', 'back in quarantine, not released');
    const cleared = (await m.mirror.runtime.store.audit.ofPackage('cdn-lag')).find((e) => e.cause === 'withdrawal-cleared');
    assert.ok(cleared, 'the clearing is in the audit log');
    assert.match(String((cleared.detail as { reason: string }).reason), /the CDN lagged/);
    assert.equal(verifyAudit(await m.mirror.runtime.store.audit.page(0, 1000)).problems.length, 0);

    // Upstream still lacks it for a while: a cleared block is not blocked again by the same absence.
    await m.mirror.sweeper.runNow();
    assert.equal((await state(m, 'cdn-lag', '1.0.1'))?.state, 'quarantined');
    m.upstream.notFoundTarballs = 0;
    await rounds(m, 2, 11 * MINUTE);
    assert.equal((await state(m, 'cdn-lag', '1.0.1'))?.analysis, 'clean', 'analysed now that the tarball is there');
    m.clock.advance(3 * DAY);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}cdn-lag`), ['1.0.0', '1.0.1']);
  } finally {
    await m.stop();
  }
});

test('an upstream answering 503 for 40 seconds holds none of ten new versions; faults are retried for hours', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('burst', '1.0.0', { time: NOW - 30 * DAY });
    for (let i = 1; i <= 10; i++) m.upstream.publish('burst', `1.0.${i}`, { time: NOW - HOUR });
    m.upstream.failTarballs = 1_000_000;
    await fetch(`${m.mirror.url}burst`);
    // 40 s of faults, in the steps the backoff takes.
    await rounds(m, 20, 2_000);
    m.upstream.failTarballs = 0;
    await rounds(m, 12, 10 * MINUTE);
    const records = (await m.mirror.runtime.store.versions.versionsOf('burst')).filter((r) => r.version !== '1.0.0');
    assert.deepEqual(
      records.map((r) => `${r.version}:${r.state}:${r.analysis}`).sort(),
      records.map((r) => `${r.version}:quarantined:clean`).sort(),
    );

    // An upstream that stays down is retried until the retry window (6h by default) is over, then a person decides.
    m.upstream.publish('burst', '1.1.0', { time: m.clock.now() });
    m.upstream.failTarballs = 1_000_000;
    await fetch(`${m.mirror.url}burst`);
    await rounds(m, 30, 10 * MINUTE);
    assert.equal((await state(m, 'burst', '1.1.0'))?.state, 'quarantined', 'still retried after 5 hours');
    await rounds(m, 12, 10 * MINUTE);
    assert.equal((await state(m, 'burst', '1.1.0'))?.state, 'held', 'held after the retry window');
    const job = await m.mirror.runtime.store.jobs.latestFor('burst', '1.1.0');
    assert.ok(job && job.attempts > 5, `retried ${job?.attempts} times`);
  } finally {
    await m.stop();
  }
});
