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
const config = configWith([alice.approver, bob.approver, carol.approver], { quorum: { critical: 2, low: 1 }, fastTrackQuorum: 3, mirrorId: 'test-mirror' });

function sign(f: Fixture, who: TestApprover, name: string, version: string, decision: Decision = 'approve', reason = 'reviewed') {
  const { text } = f.service.statementFor(name, version, decision, reason, who.approver.publicKey);
  return { text, signature: who.sign(text) };
}
function submit(f: Fixture, who: TestApprover, name: string, version: string, decision: Decision = 'approve') {
  const { text, signature } = sign(f, who, name, version, decision);
  return f.service.submit(name, version, text, signature);
}
const refused = (fn: () => unknown, code: ApprovalErrorCode) =>
  assert.throws(fn, (e: unknown) => e instanceof ApprovalError && (assert.equal(e.code, code, e.message), true));

test('quorum 2 for a critical finding: one approval waits, the second approves; the audit log says who', () => {
  const f = fixture(config);
  f.seed('lib', '2.0.0', [postinstall]);
  f.clock.advance(72 * HOUR); // past the cooldown: not a fast-track
  const first = submit(f, alice, 'lib', '2.0.0');
  assert.equal(first.transition, null);
  assert.deepEqual([first.status.state, first.status.required, first.status.approvedBy], ['held', 2, ['alice']]);
  const second = submit(f, bob, 'lib', '2.0.0');
  assert.equal(second.transition?.to, 'approved');
  assert.equal(second.transition?.cause, 'approved');
  assert.equal(f.store.versionOf('lib', '2.0.0')?.state, 'approved');
  const audit = f.store.auditOf('lib').map((e) => [e.cause, e.toState]);
  assert.deepEqual(audit.slice(-3), [['decision-signed', null], ['decision-signed', null], ['approved', 'approved']]);
  const report = verifyAudit(f.store.auditOf('lib'));
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.decisions.map((d) => d.statement.approver), ['alice', 'bob']);
});

test('one approver counts once: signing the same approval twice is refused and changes nothing', () => {
  const f = fixture(config);
  f.seed('lib', '2.0.0', [postinstall]);
  f.clock.advance(72 * HOUR);
  submit(f, alice, 'lib', '2.0.0');
  const before = f.snapshot();
  refused(() => submit(f, alice, 'lib', '2.0.0'), 'ALREADY_SIGNED');
  assert.deepEqual(f.snapshot(), before);
  assert.deepEqual(f.service.status('lib', '2.0.0')?.approvedBy, ['alice']);
});

test('fast-track: before the cooldown ends the higher fast-track quorum applies, and the audit log says fast-track', () => {
  const f = fixture(config);
  f.seed('fix', '1.0.1', [newDep]); // low: 1 approval normally, 3 before the cooldown ends
  assert.equal(f.store.versionOf('fix', '1.0.1')?.state, 'quarantined');
  assert.equal(submit(f, alice, 'fix', '1.0.1').status.required, 3);
  assert.equal(submit(f, bob, 'fix', '1.0.1').transition, null);
  const third = submit(f, carol, 'fix', '1.0.1');
  assert.equal(third.transition?.cause, 'approved-fast-track');
  assert.equal(third.transition?.detail?.fastTrack, true);
  assert.match(third.transition!.reason, /fast-tracked before its cooldown ended/);
  assert.equal(f.store.versionOf('fix', '1.0.1')?.state, 'approved');
});

test('without fastTrackQuorum, one approval of a low finding fast-tracks a quarantined version', () => {
  const f = fixture(configWith([alice.approver], {}, { CORDON_MIRROR_ID: 'm' }));
  f.seed('fix', '1.0.1', [newDep]);
  assert.equal(submit(f, alice, 'fix', '1.0.1').transition?.cause, 'approved-fast-track');
});

test('a signed rejection moves the version to rejected', () => {
  const f = fixture(config);
  f.seed('lib', '2.0.0', [postinstall]);
  submit(f, alice, 'lib', '2.0.0');
  const out = submit(f, bob, 'lib', '2.0.0', 'reject');
  assert.equal(out.transition?.to, 'rejected');
  assert.equal(f.store.versionOf('lib', '2.0.0')?.state, 'rejected');
  assert.match(f.store.versionOf('lib', '2.0.0')!.reason, /^rejected by bob: reviewed/);
  refused(() => sign(f, carol, 'lib', '2.0.0'), 'NOT_DECIDABLE');
});

test('a new analysis (other findings) voids earlier approvals and refuses statements signed before it', () => {
  const f = fixture(config);
  f.seed('lib', '2.0.0', [postinstall]);
  f.clock.advance(72 * HOUR);
  submit(f, alice, 'lib', '2.0.0');
  const stale = sign(f, bob, 'lib', '2.0.0');
  f.reanalyse('lib', '2.0.0', [postinstall, newDep]);
  assert.deepEqual(f.service.status('lib', '2.0.0')?.approvedBy, [], 'alice approved other findings');
  const before = f.snapshot();
  refused(() => f.service.submit('lib', '2.0.0', stale.text, stale.signature), 'DIGEST_CHANGED');
  assert.deepEqual(f.snapshot(), before);
  // After review, alice's new approval counts again (the digest is new, so it is not a duplicate).
  assert.deepEqual(submit(f, alice, 'lib', '2.0.0').status.approvedBy, ['alice']);
});

test('an approver removed from the config: their approvals stop counting and their signatures are refused', () => {
  const f = fixture(config);
  f.seed('lib', '2.0.0', [postinstall]);
  submit(f, alice, 'lib', '2.0.0');
  const without = configWith([bob.approver, carol.approver], { quorum: { critical: 2 }, mirrorId: 'test-mirror' });
  const g = { service: new ApprovalService({ config: without, mirrorId: 'test-mirror', clock: f.clock, store: f.store, approvals: f.approvals, quarantine: new QuarantineService(f.store, { cooldownMs: without.cooldownMs, rules: without.rules, mirrorId: 'test-mirror', upstream: without.upstream }) }) };
  assert.deepEqual(g.service.status('lib', '2.0.0')?.approvedBy, []);
  const { text, signature } = sign(f, alice, 'lib', '2.0.0');
  refused(() => g.service.submit('lib', '2.0.0', text, signature), 'UNKNOWN_SIGNER');
});

test('every refusal through the service leaves versions, decisions and the audit log unchanged', () => {
  const f = fixture(config);
  f.seed('lib', '2.0.0', [postinstall]);
  f.seed('lib', '2.1.0', [], { analysis: 'pending' });
  f.seed('other', '1.0.0', [postinstall]);
  const accepted = sign(f, alice, 'lib', '2.0.0');
  f.service.submit('lib', '2.0.0', accepted.text, accepted.signature);
  const fresh = sign(f, bob, 'lib', '2.0.0');
  const s = parseStatement(fresh.text);
  const resign = (over: object) => {
    const text = canonicalStatement({ ...s, ...over });
    return { text, signature: bob.sign(text) };
  };
  const cases: Array<[string, () => unknown, ApprovalErrorCode]> = [
    ['replayed', () => f.service.submit('lib', '2.0.0', accepted.text, accepted.signature), 'NONCE_REUSED'],
    ['posted to another package', () => f.service.submit('other', '1.0.0', fresh.text, fresh.signature), 'WRONG_PACKAGE'],
    ['posted to another version', () => f.service.submit('lib', '2.1.0', fresh.text, fresh.signature), 'WRONG_VERSION'],
    ['another mirror', () => { const r = resign({ mirrorId: 'elsewhere' }); return f.service.submit('lib', '2.0.0', r.text, r.signature); }, 'WRONG_MIRROR'],
    ['other bytes', () => { const r = resign({ integrity: 'sha512-other' }); return f.service.submit('lib', '2.0.0', r.text, r.signature); }, 'WRONG_INTEGRITY'],
    ['bad signature', () => f.service.submit('lib', '2.0.0', fresh.text, bob.sign(`${fresh.text} `)), 'BAD_SIGNATURE'],
    ['unknown signer', () => f.service.submit('lib', '2.0.0', fresh.text, testApprover('eve').sign(fresh.text)), 'UNKNOWN_SIGNER'],
    ['analysis pending', () => f.service.statementFor('lib', '2.1.0', 'approve', '', bob.approver.publicKey), 'ANALYSIS_PENDING'],
    ['never seen', () => f.service.statementFor('lib', '9.9.9', 'approve', '', bob.approver.publicKey), 'UNKNOWN_VERSION'],
    ['expired', () => { f.clock.advance(10 * 60_000 + 1); try { return f.service.submit('lib', '2.0.0', fresh.text, fresh.signature); } finally { f.clock.advance(-(10 * 60_000 + 1)); } }, 'STATEMENT_EXPIRED'],
    ['from the future', () => { f.clock.advance(-5 * 60_000); try { return f.service.submit('lib', '2.0.0', fresh.text, fresh.signature); } finally { f.clock.advance(5 * 60_000); } }, 'STATEMENT_FROM_FUTURE'],
  ];
  for (const [name, fn, code] of cases) {
    const before = f.snapshot();
    refused(fn, code);
    assert.deepEqual(f.snapshot(), before, `${name}: nothing changed`);
  }
  f.store.transition({ package: 'lib', version: '2.0.0', from: 'held', to: 'blocked', reason: 'integrity changed', cause: 'integrity-changed', at: f.clock.now() });
  const before = f.snapshot();
  refused(() => f.service.submit('lib', '2.0.0', fresh.text, fresh.signature), 'NOT_DECIDABLE');
  assert.deepEqual(f.snapshot(), before);
  assert.deepEqual(verifyAudit(f.store.auditOf('lib').concat(f.store.auditOf('other')).sort((a, b) => a.id - b.id)).problems, []);
});

test('the queue lists what waits, with time left, the worst finding and approvals so far', () => {
  const f = fixture(config);
  f.seed('lib', '2.0.0', [postinstall]);
  f.seed('fix', '1.0.1', [newDep]);
  f.seed('baseline', '1.0.0', [], { state: 'released', analysis: null });
  submit(f, alice, 'lib', '2.0.0');
  const q = f.service.queue();
  assert.deepEqual(q.map((s) => [s.package, s.version, s.state, s.maxSeverity, s.approvedBy.length, s.required]), [
    ['fix', '1.0.1', 'quarantined', 'low', 0, 3],
    ['lib', '2.0.0', 'held', 'critical', 1, 3],
  ]);
  assert.equal(q[0]!.releaseAt, f.clock.now() + 71 * HOUR);
});

test('a mirror without a configured id generates one once and keeps it', () => {
  const cfg = configWith([alice.approver]);
  const f = fixture(cfg);
  assert.match(f.service.mirrorId, /^cordon-[A-Za-z0-9_-]{16}$/);
  assert.equal(f.approvals.mirrorId(() => 'another'), f.service.mirrorId);
});
