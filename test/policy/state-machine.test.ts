import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VERSION_STATES, type VersionState } from '../../server/policy/version-state';
import {
  assertAllowed,
  causesOf,
  isAllowed,
  transition,
  TransitionRefused,
  TRANSITIONS,
  type TransitionCause,
} from '../../server/policy/state-machine';
import { openDatabase, VersionStore, type Transition } from '../../storage';
import type { VersionRecord } from '../../server/policy/version-state';

const ALL_CAUSES: readonly TransitionCause[] = [
  'cooldown-ended',
  'analysis-flagged',
  'analysis-failed',
  'cascade-held',
  'approved',
  'approved-fast-track',
  'rejected-signed',
  'withdrawal-cleared',
  'integrity-changed',
  'integrity-mismatch',
  'security-placeholder',
  'withdrawn-upstream',
  'provenance-invalid',
];

const allowedEntries = (): Array<{ from: VersionState; to: VersionState; cause: TransitionCause }> =>
  Object.entries(TRANSITIONS).flatMap(([from, tos]) =>
    Object.entries(tos ?? {}).flatMap(([to, causes]) =>
      (causes ?? []).map((cause) => ({ from: from as VersionState, to: to as VersionState, cause })),
    ),
  );

test('every transition the table lists passes the check and comes back unchanged', () => {
  const entries = allowedEntries();
  assert.ok(entries.length >= 30, `the table lists ${entries.length} (from, to, cause) entries`);
  for (const e of entries) {
    assert.equal(isAllowed(e), true, `${e.from} → ${e.to} (${e.cause})`);
    const t = { package: 'demo', version: '1.0.0', ...e, reason: 'r', at: 1 };
    assert.equal(transition(t), t);
  }
});

test('every (from, to, cause) not in the table is refused with TRANSITION_REFUSED, naming the version and what is allowed', () => {
  let refused = 0;
  for (const from of VERSION_STATES) {
    for (const to of VERSION_STATES) {
      for (const cause of [...ALL_CAUSES, 'forged', '']) {
        if ((causesOf(from, to) as readonly string[]).includes(cause)) continue;
        refused++;
        assert.equal(isAllowed({ from, to, cause }), false);
        assert.throws(
          () => assertAllowed({ package: 'demo', version: '1.0.0', from, to, cause }),
          (err: unknown) =>
            err instanceof TransitionRefused &&
            err.code === 'TRANSITION_REFUSED' &&
            err.message.includes('demo@1.0.0') &&
            err.message.includes(`from ${from} to ${to}`),
        );
      }
    }
  }
  assert.ok(refused > 400);
  assert.throws(
    () => assertAllowed({ from: 'quarantined', to: 'released', cause: 'approved' }),
    /only "cooldown-ended" may make that change/,
  );
});

test('no state moves to itself, and nothing becomes quarantined again except a signed clearing of a withdrawal block', () => {
  for (const s of VERSION_STATES) assert.deepEqual(causesOf(s, s), [], `${s} → ${s}`);
  for (const from of VERSION_STATES) {
    const back = causesOf(from, 'quarantined');
    if (from === 'blocked') assert.deepEqual(back, ['withdrawal-cleared']);
    else assert.deepEqual(back, [], `${from} → quarantined`);
  }
});

test('released, approved and rejected versions only move on to blocked (a released one also to held by a cascade recall)', () => {
  for (const from of ['released', 'approved', 'rejected'] as const) {
    for (const to of VERSION_STATES) {
      const causes = causesOf(from, to);
      if (to === 'blocked')
        assert.ok(causes.includes('integrity-changed') && causes.includes('integrity-mismatch'), `${from} → blocked on changed bytes`);
      else if (from === 'released' && to === 'held') assert.deepEqual(causes, ['cascade-held']);
      else assert.deepEqual(causes, [], `${from} → ${to}`);
    }
  }
  // Visible versions are not blocked by a withdrawal or an attestation: those only keep hidden what is hidden.
  for (const from of ['released', 'approved'] as const) {
    for (const cause of ['withdrawn-upstream', 'provenance-invalid'] as const)
      assert.equal(isAllowed({ from, to: 'blocked', cause }), false);
  }
});

test('only a signed decision makes a version approved or rejected, and only while it waits or is blocked by a withdrawal', () => {
  for (const from of VERSION_STATES) {
    for (const to of ['approved', 'rejected'] as const) {
      const causes = causesOf(from, to);
      if (from === 'quarantined' || from === 'held' || from === 'blocked')
        assert.deepEqual(causes, to === 'approved' ? ['approved', 'approved-fast-track'] : ['rejected-signed']);
      else assert.deepEqual(causes, [], `${from} → ${to}`);
    }
  }
});

test('storage refuses a disallowed transition and writes nothing, not even an audit entry', () => {
  const T = Date.parse('2026-11-20T12:00:00Z');
  const db = openDatabase(':memory:');
  const store = new VersionStore(db);
  const rec: VersionRecord = {
    package: 'demo',
    version: '1.0.0',
    state: 'rejected',
    publishedAt: T - 1000,
    firstSeenAt: T,
    integrity: 'sha512-AAAA',
    tarball: 'demo-1.0.0.tgz',
    tarballUrl: null,
    blob: null,
    reason: 'rejected',
    updatedAt: T,
    analysis: 'flagged',
    maxSeverity: 'high',
    findingsDigest: 'x',
    publisher: null,
  };
  store.recordSighting('demo', T, [rec], []);
  const audit = () => (db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
  const before = audit();
  const back: Transition = {
    package: 'demo',
    version: '1.0.0',
    from: 'rejected',
    to: 'quarantined',
    reason: 'sneak back',
    cause: 'withdrawal-cleared',
    at: T + 1,
  };
  assert.throws(() => store.transition(back), TransitionRefused);
  assert.throws(() => store.transition({ ...back, to: 'released', cause: 'cooldown-ended' }), TransitionRefused);
  assert.equal(store.versionOf('demo', '1.0.0')?.state, 'rejected');
  assert.equal(audit(), before, 'no audit entry for a refused change');
  assert.ok(
    store.transition({ ...back, to: 'blocked', cause: 'integrity-changed', reason: 'bytes changed' }),
    'an allowed change still applies',
  );
});
