/** Store contract: compare-and-set transitions, and approved/rejected only through a matching signed decision. */
import assert from 'node:assert/strict';
import { verifyAudit } from '../../../server/approvals/audit-verify';
import { DECISION_CAUSE, type Store } from '../../../storage';
import { allAudit, contract, move, rec, signedDecision, T } from './contract';

contract('two transitions from the same state at once: exactly one applies, with one audit entry', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0'), rec('demo', '2.0.0')], []);
  const results = await Promise.all([
    store.versions.transition(move('demo', '1.0.0', 'quarantined', 'released', T + 1, 'cooldown-ended')),
    store.versions.transition(move('demo', '1.0.0', 'quarantined', 'held', T + 1, 'analysis-flagged')),
  ]);
  assert.equal(results.filter(Boolean).length, 1, `one applied: ${JSON.stringify(results)}`);
  const winner = results[0] ? 'released' : 'held';
  assert.equal((await store.versions.versionOf('demo', '1.0.0'))?.state, winner);
  assert.equal((await store.audit.ofPackage('demo')).filter((e) => e.version === '1.0.0' && e.fromState === 'quarantined').length, 1);

  // Many at once, inside transactions too.
  const many = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      i % 2
        ? store.versions.transition(move('demo', '2.0.0', 'quarantined', 'released', T + 2))
        : store.atomically((tx) => tx.versions.transition(move('demo', '2.0.0', 'quarantined', 'held', T + 2))),
    ),
  );
  assert.equal(many.filter(Boolean).length, 1);
  assert.equal((await store.audit.ofPackage('demo')).filter((e) => e.version === '2.0.0' && e.fromState === 'quarantined').length, 1);
});

/** A version held after an analysis with findings digest `dg`. */
async function heldVersion(store: Store, version: string): Promise<{ integrity: string; digest: string }> {
  const integrity = `sha512-demo-${version}`;
  const digest = `dg-${version}`;
  await store.versions.recordSighting('demo', T, [rec('demo', version)], []);
  const findings = [{ category: 'install', rule: 'install-script/new-postinstall', severity: 'critical', message: 'runs at install time' }];
  const applied = await store.analyses.record(
    {
      package: 'demo',
      version,
      integrity,
      previousVersion: null,
      findings,
      digest,
      maxSeverity: 'critical',
      analyzerVersion: 'a1',
      timings: {},
      finishedAt: T + 1,
    },
    'flagged',
    move('demo', version, 'quarantined', 'held', T + 1, 'analysis-flagged'),
  );
  assert.equal(applied, true);
  return { integrity, digest };
}

contract(
  'a version becomes approved or rejected only with a signed decision for its bytes and findings; the store refuses anything else and keeps nothing of it',
  async (store) => {
    const { integrity, digest } = await heldVersion(store, '1.0.0');
    const head = await store.audit.head();
    const unchanged = async (why: string) => {
      assert.equal((await store.versions.versionOf('demo', '1.0.0'))?.state, 'held', why);
      assert.deepEqual(await store.audit.head(), head, why);
      assert.deepEqual(await store.approvals.decisionsOf('demo', '1.0.0'), [], why);
    };

    await assert.rejects(store.versions.transition(move('demo', '1.0.0', 'held', 'approved')));
    await unchanged('no decision at all');
    await assert.rejects(store.versions.transition(move('demo', '1.0.0', 'held', 'rejected')));
    await unchanged('no decision to reject');

    const otherFindings = signedDecision('demo', '1.0.0', integrity, 'dg-something-else', 'approve');
    await assert.rejects(store.approvals.accept(otherFindings, move('demo', '1.0.0', 'held', 'approved')));
    await unchanged('a decision about other findings');
    assert.equal(await store.approvals.nonceUsed(otherFindings.nonce), false, 'its nonce was not kept either');
    await assert.rejects(
      store.approvals.accept(
        signedDecision('demo', '1.0.0', 'sha512-other-bytes', digest, 'approve'),
        move('demo', '1.0.0', 'held', 'approved'),
      ),
    );
    await unchanged('a decision about other bytes');
    await assert.rejects(
      store.approvals.accept(signedDecision('demo', '1.0.0', integrity, digest, 'reject'), move('demo', '1.0.0', 'held', 'approved')),
    );
    await unchanged('a rejection cannot approve');

    const good = signedDecision('demo', '1.0.0', integrity, digest, 'approve');
    const { decision, transitioned } = await store.approvals.accept(good, move('demo', '1.0.0', 'held', 'approved', T + 20, 'approved'));
    assert.equal(transitioned, true);
    assert.equal((await store.versions.versionOf('demo', '1.0.0'))?.state, 'approved');
    assert.equal(await store.approvals.nonceUsed(good.nonce), true);
    const kept = await store.approvals.decisionsOf('demo', '1.0.0');
    assert.deepEqual(
      kept.map((d) => [d.id, d.decision, d.statement, d.signature, d.method, d.auditId]),
      [[decision.id, 'approve', good.statement, good.signature, 'ssh', decision.auditId]],
    );
    const entries = await allAudit(store);
    assert.equal(entries.find((e) => e.id === decision.auditId)?.cause, DECISION_CAUSE);
    const report = verifyAudit(entries, { sequence: await store.audit.sequence() });
    assert.deepEqual(report.problems, []);
    assert.equal(report.decisions.length, 1);

    // A nonce is used once.
    await assert.rejects(store.approvals.accept({ ...good, acceptedAt: T + 30 }, null));
    assert.equal((await store.approvals.decisionsOf('demo', '1.0.0')).length, 1);
  },
);

contract('a rejection and a decision without a transition are kept; the mirror id is stored once', async (store) => {
  const { integrity, digest } = await heldVersion(store, '2.0.0');
  const first = await store.approvals.accept(signedDecision('demo', '2.0.0', integrity, digest, 'approve'), null);
  assert.equal(first.transitioned, false, 'one approval of a quorum of two: kept, no transition');
  assert.equal((await store.versions.versionOf('demo', '2.0.0'))?.state, 'held');
  const reject = await store.approvals.accept(
    signedDecision('demo', '2.0.0', integrity, digest, 'reject', T + 40),
    move('demo', '2.0.0', 'held', 'rejected', T + 40, 'rejected-signed'),
  );
  assert.equal(reject.transitioned, true);
  assert.equal((await store.versions.versionOf('demo', '2.0.0'))?.state, 'rejected');
  assert.deepEqual(
    (await store.approvals.decisionsOf('demo', '2.0.0')).map((d) => d.decision),
    ['approve', 'reject'],
  );

  let calls = 0;
  const id = await store.approvals.mirrorId(() => `generated-${++calls}`);
  assert.equal(id, 'generated-1');
  assert.equal(await store.approvals.mirrorId(() => `generated-${++calls}`), 'generated-1', 'the stored one, not a new one');
  const concurrent = await Promise.all([1, 2, 3].map(() => store.approvals.mirrorId(() => 'late')));
  assert.deepEqual(concurrent, ['generated-1', 'generated-1', 'generated-1']);
});
