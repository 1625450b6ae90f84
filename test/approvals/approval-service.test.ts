import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApprovalService } from '../../server/approvals/approval-service';
import { QuarantineService } from '../../server/quarantine/quarantine-service';
import { ApprovalError, type ApprovalErrorCode } from '../../server/approvals/errors';
import { canonicalStatement, parseStatement } from '../../server/approvals/statement';
import { verifyAudit } from '../../server/approvals/audit-verify';
import type { Decision } from '../../server/approvals/statement';
import { configWith, fixture, HOUR, newDep, postinstall, type Fixture } from './service-fixture';
import { testApprover, type TestApprover } from './keys';

const alice = testApprover('alice');
const bob = testApprover('bob');
const carol = testApprover('carol');
const config = configWith([alice.approver, bob.approver, carol.approver], {
  quorum: { critical: 2, low: 1 },
  fastTrackQuorum: 3,
  mirrorId: 'test-mirror',
});

async function sign(f: Fixture, who: TestApprover, name: string, version: string, decision: Decision = 'approve', reason = 'reviewed') {
  const { text } = await f.service.statementFor(name, version, decision, reason, who.approver.publicKey);
  return { text, signature: who.sign(text) };
}
async function submit(f: Fixture, who: TestApprover, name: string, version: string, decision: Decision = 'approve') {
  const { text, signature } = await sign(f, who, name, version, decision);
  return await f.service.submit(name, version, text, signature);
}
const refused = (fn: () => unknown, code: ApprovalErrorCode) =>
  assert.rejects(
    async () => fn(),
    (e: unknown) => {
      if (!(e instanceof ApprovalError)) return false;
      assert.equal(e.code, code, e.message);
      return true;
    },
  );

test('quorum 2 for a critical finding: one approval waits, the second approves; the audit log says who', async () => {
  const f = await fixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  f.clock.advance(72 * HOUR); // past the cooldown: not a fast-track
  const first = await submit(f, alice, 'lib', '2.0.0');
  assert.equal(first.transition, null);
  assert.deepEqual([first.status.state, first.status.required, first.status.approvedBy], ['held', 2, ['alice']]);
  const second = await submit(f, bob, 'lib', '2.0.0');
  assert.equal(second.transition?.to, 'approved');
  assert.equal(second.transition?.cause, 'approved');
  assert.equal((await f.store.versions.versionOf('lib', '2.0.0'))?.state, 'approved');
  const audit = (await f.store.audit.ofPackage('lib')).map((e) => [e.cause, e.toState]);
  assert.deepEqual(audit.slice(-3), [
    ['decision-signed', null],
    ['decision-signed', null],
    ['approved', 'approved'],
  ]);
  const report = verifyAudit(await f.store.audit.ofPackage('lib'));
  assert.deepEqual(report.problems, []);
  assert.deepEqual(
    report.decisions.map((d) => d.statement.approver),
    ['alice', 'bob'],
  );
});

test('one approver counts once: signing the same approval twice is refused and changes nothing', async () => {
  const f = await fixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  f.clock.advance(72 * HOUR);
  await submit(f, alice, 'lib', '2.0.0');
  const before = await f.snapshot();
  await refused(async () => await submit(f, alice, 'lib', '2.0.0'), 'ALREADY_SIGNED');
  assert.deepEqual(await f.snapshot(), before);
  assert.deepEqual((await f.service.status('lib', '2.0.0'))?.approvedBy, ['alice']);
});

test('fast-track: before the cooldown ends the higher fast-track quorum applies, and the audit log says fast-track', async () => {
  const f = await fixture(config);
  await f.seed('fix', '1.0.1', [newDep]); // low: 1 approval normally, 3 before the cooldown ends
  assert.equal((await f.store.versions.versionOf('fix', '1.0.1'))?.state, 'quarantined');
  assert.equal((await submit(f, alice, 'fix', '1.0.1')).status.required, 3);
  assert.equal((await submit(f, bob, 'fix', '1.0.1')).transition, null);
  const third = await submit(f, carol, 'fix', '1.0.1');
  assert.equal(third.transition?.cause, 'approved-fast-track');
  assert.equal(third.transition?.detail?.fastTrack, true);
  assert.match(third.transition!.reason, /fast-tracked before its cooldown ended/);
  assert.equal((await f.store.versions.versionOf('fix', '1.0.1'))?.state, 'approved');
});

test('without fastTrackQuorum, one approval of a low finding fast-tracks a quarantined version', async () => {
  const f = await fixture(configWith([alice.approver], {}, { CORDON_MIRROR_ID: 'm' }));
  await f.seed('fix', '1.0.1', [newDep]);
  assert.equal((await submit(f, alice, 'fix', '1.0.1')).transition?.cause, 'approved-fast-track');
});

test('a signed rejection moves the version to rejected', async () => {
  const f = await fixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  await submit(f, alice, 'lib', '2.0.0');
  const out = await submit(f, bob, 'lib', '2.0.0', 'reject');
  assert.equal(out.transition?.to, 'rejected');
  assert.equal((await f.store.versions.versionOf('lib', '2.0.0'))?.state, 'rejected');
  assert.match((await f.store.versions.versionOf('lib', '2.0.0'))!.reason, /^rejected by bob: reviewed/);
  await refused(async () => await sign(f, carol, 'lib', '2.0.0'), 'NOT_DECIDABLE');
});

test('a new analysis (other findings) voids earlier approvals and refuses statements signed before it', async () => {
  const f = await fixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  f.clock.advance(72 * HOUR);
  await submit(f, alice, 'lib', '2.0.0');
  const stale = await sign(f, bob, 'lib', '2.0.0');
  await f.reanalyse('lib', '2.0.0', [postinstall, newDep]);
  assert.deepEqual((await f.service.status('lib', '2.0.0'))?.approvedBy, [], 'alice approved other findings');
  const before = await f.snapshot();
  await refused(async () => await f.service.submit('lib', '2.0.0', stale.text, stale.signature), 'DIGEST_CHANGED');
  assert.deepEqual(await f.snapshot(), before);
  // After review, alice's new approval counts again (the digest is new, so it is not a duplicate).
  assert.deepEqual((await submit(f, alice, 'lib', '2.0.0')).status.approvedBy, ['alice']);
});

test('an approver removed from the config: their approvals stop counting and their signatures are refused', async () => {
  const f = await fixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  await submit(f, alice, 'lib', '2.0.0');
  const without = configWith([bob.approver, carol.approver], { quorum: { critical: 2 }, mirrorId: 'test-mirror' });
  const g = {
    service: new ApprovalService({
      config: without,
      mirrorId: 'test-mirror',
      clock: f.clock,
      store: f.store,
      quarantine: new QuarantineService(f.store, {
        cooldownMs: without.cooldownMs,
        rules: without.rules,
        mirrorId: 'test-mirror',
        upstream: without.upstream,
      }),
    }),
  };
  assert.deepEqual((await g.service.status('lib', '2.0.0'))?.approvedBy, []);
  const { text, signature } = await sign(f, alice, 'lib', '2.0.0');
  await refused(() => g.service.submit('lib', '2.0.0', text, signature), 'UNKNOWN_SIGNER');
});

test('every refusal through the service leaves versions, decisions and the audit log unchanged', async () => {
  const f = await fixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  await f.seed('lib', '2.1.0', [], { analysis: 'pending' });
  await f.seed('other', '1.0.0', [postinstall]);
  const accepted = await sign(f, alice, 'lib', '2.0.0');
  await f.service.submit('lib', '2.0.0', accepted.text, accepted.signature);
  const fresh = await sign(f, bob, 'lib', '2.0.0');
  const s = parseStatement(fresh.text);
  const resign = (over: object) => {
    const text = canonicalStatement({ ...s, ...over });
    return { text, signature: bob.sign(text) };
  };
  const cases: Array<[string, () => unknown, ApprovalErrorCode]> = [
    ['replayed', async () => await f.service.submit('lib', '2.0.0', accepted.text, accepted.signature), 'NONCE_REUSED'],
    ['posted to another package', async () => await f.service.submit('other', '1.0.0', fresh.text, fresh.signature), 'WRONG_PACKAGE'],
    ['posted to another version', async () => await f.service.submit('lib', '2.1.0', fresh.text, fresh.signature), 'WRONG_VERSION'],
    [
      'another mirror',
      async () => {
        const r = resign({ mirrorId: 'elsewhere' });
        return await f.service.submit('lib', '2.0.0', r.text, r.signature);
      },
      'WRONG_MIRROR',
    ],
    [
      'other bytes',
      async () => {
        const r = resign({ integrity: 'sha512-other' });
        return await f.service.submit('lib', '2.0.0', r.text, r.signature);
      },
      'WRONG_INTEGRITY',
    ],
    ['bad signature', async () => await f.service.submit('lib', '2.0.0', fresh.text, bob.sign(`${fresh.text} `)), 'BAD_SIGNATURE'],
    [
      'unknown signer',
      async () => await f.service.submit('lib', '2.0.0', fresh.text, testApprover('eve').sign(fresh.text)),
      'UNKNOWN_SIGNER',
    ],
    [
      'analysis pending',
      async () => await f.service.statementFor('lib', '2.1.0', 'approve', '', bob.approver.publicKey),
      'ANALYSIS_PENDING',
    ],
    ['never seen', async () => await f.service.statementFor('lib', '9.9.9', 'approve', '', bob.approver.publicKey), 'UNKNOWN_VERSION'],
    [
      'expired',
      async () => {
        f.clock.advance(10 * 60_000 + 1);
        try {
          return await f.service.submit('lib', '2.0.0', fresh.text, fresh.signature);
        } finally {
          f.clock.advance(-(10 * 60_000 + 1));
        }
      },
      'STATEMENT_EXPIRED',
    ],
    [
      'from the future',
      async () => {
        f.clock.advance(-5 * 60_000);
        try {
          return await f.service.submit('lib', '2.0.0', fresh.text, fresh.signature);
        } finally {
          f.clock.advance(5 * 60_000);
        }
      },
      'STATEMENT_FROM_FUTURE',
    ],
  ];
  for (const [name, fn, code] of cases) {
    const before = await f.snapshot();
    await refused(fn, code);
    assert.deepEqual(await f.snapshot(), before, `${name}: nothing changed`);
  }
  await f.store.versions.transition({
    package: 'lib',
    version: '2.0.0',
    from: 'held',
    to: 'blocked',
    reason: 'integrity changed',
    cause: 'integrity-changed',
    at: f.clock.now(),
  });
  const before = await f.snapshot();
  await refused(async () => await f.service.submit('lib', '2.0.0', fresh.text, fresh.signature), 'NOT_DECIDABLE');
  assert.deepEqual(await f.snapshot(), before);
  assert.deepEqual(
    verifyAudit((await f.store.audit.ofPackage('lib')).concat(await f.store.audit.ofPackage('other')).sort((a, b) => a.id - b.id)).problems,
    [],
  );
});

test('the queue lists what waits, with time left, the worst finding and approvals so far', async () => {
  const f = await fixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  await f.seed('fix', '1.0.1', [newDep]);
  await f.seed('baseline', '1.0.0', [], { state: 'released', analysis: null });
  await submit(f, alice, 'lib', '2.0.0');
  const q = await f.service.queue();
  assert.deepEqual(
    q.map((s) => [s.package, s.version, s.state, s.maxSeverity, s.approvedBy.length, s.required]),
    [
      ['fix', '1.0.1', 'quarantined', 'low', 0, 3],
      ['lib', '2.0.0', 'held', 'critical', 1, 3],
    ],
  );
  assert.equal(q[0]!.releaseAt, f.clock.now() + 71 * HOUR);
});

test('a mirror without a configured id generates one once and keeps it', async () => {
  const cfg = configWith([alice.approver]);
  const f = await fixture(cfg);
  assert.match(f.service.mirrorId, /^cordon-[A-Za-z0-9_-]{16}$/);
  assert.equal(await f.store.approvals.mirrorId(() => 'another'), f.service.mirrorId);
});
