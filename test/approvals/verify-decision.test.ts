import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApprovalError, type ApprovalErrorCode } from '../../server/approvals/errors';
import { canonicalStatement, newNonce, parseStatement, STATEMENT_TYPE, type Statement } from '../../server/approvals/statement';
import { verifyDecision, type DecisionContext } from '../../server/approvals/verify-decision';
import type { VersionRecord } from '../../server/policy/version-state';
import { testApprover } from './keys';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const alice = testApprover('alice');
const bob = testApprover('bob');
const mallory = testApprover('mallory');

const record: VersionRecord = {
  package: '@acme/lib',
  version: '2.0.0',
  state: 'held',
  publishedAt: NOW - 3_600_000,
  firstSeenAt: NOW - 3_600_000,
  integrity: 'sha512-BYTES',
  tarball: 'lib-2.0.0.tgz',
  tarballUrl: null,
  blob: null,
  reason: 'analysis found install-script/new-postinstall',
  updatedAt: NOW,
  analysis: 'flagged',
  maxSeverity: 'critical',
  findingsDigest: 'd'.repeat(64),
  publisher: 'someone',
};

const statement = (over: Partial<Statement> = {}): Statement => ({
  type: STATEMENT_TYPE,
  mirrorId: 'mirror-1',
  package: '@acme/lib',
  version: '2.0.0',
  integrity: 'sha512-BYTES',
  findingsDigest: 'd'.repeat(64),
  decision: 'approve',
  reason: 'reviewed: the postinstall builds the native addon ✓',
  approver: 'alice',
  issuedAt: new Date(NOW - 60_000).toISOString(),
  nonce: 'n0nce-n0nce-n0nce-1',
  ...over,
});

const context = (over: Partial<DecisionContext> = {}): DecisionContext => ({
  mirrorId: 'mirror-1',
  target: { package: '@acme/lib', version: '2.0.0' },
  record,
  visible: false,
  approvers: [alice.approver, bob.approver],
  now: NOW,
  nonceUsed: () => false,
  alreadySigned: () => false,
  ...over,
});

interface Case {
  readonly name: string;
  readonly code: ApprovalErrorCode;
  readonly text?: string;
  readonly statement?: Partial<Statement>;
  readonly signer?: ReturnType<typeof testApprover>;
  readonly signature?: (text: string) => string;
  readonly context?: Partial<DecisionContext>;
}

const cases: Case[] = [
  { name: 'a key that is not an approver', code: 'UNKNOWN_SIGNER', signer: mallory, statement: { approver: 'mallory' } },
  { name: 'an approver removed from the config', code: 'UNKNOWN_SIGNER', context: { approvers: [bob.approver] } },
  {
    name: 'an approver whose key was replaced',
    code: 'UNKNOWN_SIGNER',
    context: { approvers: [{ ...alice.approver, publicKey: mallory.approver.publicKey }, bob.approver] },
  },
  { name: 'a signature over other text', code: 'BAD_SIGNATURE', signature: (text) => alice.sign(text.replace('2.0.0', '2.0.1')) },
  { name: 'a signature in another namespace', code: 'BAD_SIGNATURE', signature: (text) => alice.sign(text, 'git') },
  { name: 'not a signature', code: 'SIGNATURE_MALFORMED', signature: () => 'hello' },
  { name: 'statement not canonical', code: 'STATEMENT_MALFORMED', text: JSON.stringify(statement(), null, 2) },
  {
    name: 'statement with an extra field',
    code: 'STATEMENT_MALFORMED',
    text: canonicalStatement({ ...statement(), extra: 'x' } as Statement),
  },
  { name: 'statement with a bad decision', code: 'STATEMENT_MALFORMED', statement: { decision: 'maybe' as 'approve' } },
  { name: 'statement with a local time', code: 'STATEMENT_MALFORMED', statement: { issuedAt: '2026-11-20T11:59:00+00:00' } },
  { name: "signed by bob in alice's name", code: 'APPROVER_MISMATCH', signer: bob },
  { name: 'another mirror', code: 'WRONG_MIRROR', statement: { mirrorId: 'mirror-2' } },
  { name: 'another package', code: 'WRONG_PACKAGE', statement: { package: '@acme/other' } },
  { name: 'another version', code: 'WRONG_VERSION', statement: { version: '2.0.1' } },
  { name: 'other bytes', code: 'WRONG_INTEGRITY', statement: { integrity: 'sha512-OTHER' } },
  { name: 'the analysis changed', code: 'DIGEST_CHANGED', statement: { findingsDigest: 'e'.repeat(64) } },
  { name: 'issued 10 minutes and 1 ms ago', code: 'STATEMENT_EXPIRED', statement: { issuedAt: new Date(NOW - 600_001).toISOString() } },
  { name: 'issued 5 minutes in the future', code: 'STATEMENT_FROM_FUTURE', statement: { issuedAt: new Date(NOW + 300_000).toISOString() } },
  { name: 'a nonce already used', code: 'NONCE_REUSED', context: { nonceUsed: (n) => n === 'n0nce-n0nce-n0nce-1' } },
  {
    name: 'analysis not finished',
    code: 'ANALYSIS_PENDING',
    context: { record: { ...record, state: 'quarantined', analysis: 'pending', findingsDigest: null, maxSeverity: null } },
  },
  { name: 'blocked', code: 'NOT_DECIDABLE', context: { record: { ...record, state: 'blocked' } } },
  {
    name: 'blocked for a withdrawal, rejected though never analysed',
    code: 'NOT_DECIDABLE',
    statement: { decision: 'reject', findingsDigest: 'unanalysed' },
    context: { record: { ...record, state: 'blocked', analysis: 'pending', findingsDigest: null }, withdrawalBlock: true },
  },
  {
    name: 'blocked for a withdrawal, statement bound to findings it never had',
    code: 'DIGEST_CHANGED',
    context: { record: { ...record, state: 'blocked', analysis: 'pending', findingsDigest: null }, withdrawalBlock: true },
  },
  {
    name: 'blocked for a withdrawal, other bytes',
    code: 'WRONG_INTEGRITY',
    statement: { integrity: 'sha512-OTHER' },
    context: { record: { ...record, state: 'blocked' }, withdrawalBlock: true },
  },
  { name: 'already approved', code: 'NOT_DECIDABLE', context: { record: { ...record, state: 'approved' } } },
  {
    name: 'released by time while still written quarantined',
    code: 'NOT_DECIDABLE',
    context: { record: { ...record, state: 'quarantined', analysis: 'clean' }, visible: true },
  },
  { name: 'never seen', code: 'UNKNOWN_VERSION', context: { record: undefined } },
  {
    name: 'the same approver approving twice',
    code: 'ALREADY_SIGNED',
    context: { alreadySigned: (name, d) => name === 'alice' && d === 'approve' },
  },
];

for (const c of cases) {
  test(`refused: ${c.name} → ${c.code}`, () => {
    const text = c.text ?? canonicalStatement(statement(c.statement));
    const signature = c.signature ? c.signature(text) : (c.signer ?? alice).sign(text);
    assert.throws(
      () => verifyDecision(text, signature, context(c.context)),
      (err: unknown) => {
        assert.ok(err instanceof ApprovalError, String(err));
        assert.equal(err.code, c.code, err.message);
        return true;
      },
    );
  });
}

test('accepted: a fresh, correctly signed statement for the current bytes and findings', () => {
  const text = canonicalStatement(statement());
  const ok = verifyDecision(text, alice.sign(text), context());
  assert.equal(ok.approver.name, 'alice');
  assert.equal(ok.statement.reason, 'reviewed: the postinstall builds the native addon ✓');
  // Exactly at the ten-minute limit is still accepted; a minute of clock skew too.
  const edge = canonicalStatement(statement({ issuedAt: new Date(NOW - 600_000).toISOString() }));
  assert.equal(verifyDecision(edge, alice.sign(edge), context()).statement.decision, 'approve');
  const ahead = canonicalStatement(statement({ issuedAt: new Date(NOW + 60_000).toISOString(), decision: 'reject' }));
  assert.equal(verifyDecision(ahead, alice.sign(ahead), context()).statement.decision, 'reject');
  // Another approver may approve what alice approved; alice may still reject it.
  assert.equal(
    verifyDecision(
      canonicalStatement(statement({ approver: 'bob' })),
      bob.sign(canonicalStatement(statement({ approver: 'bob' }))),
      context({ alreadySigned: (n) => n === 'alice' }),
    ).approver.name,
    'bob',
  );
});

test('accepted: a signed approval of a version blocked by a confirmed withdrawal, bound to its bytes (and findings, if any)', () => {
  const unanalysed = canonicalStatement(statement({ findingsDigest: 'unanalysed' }));
  const ctx = context({
    record: { ...record, state: 'blocked', analysis: 'pending', findingsDigest: null, maxSeverity: null },
    withdrawalBlock: true,
  });
  assert.equal(verifyDecision(unanalysed, alice.sign(unanalysed), ctx).statement.decision, 'approve');
  const analysed = canonicalStatement(statement({ decision: 'reject' }));
  assert.equal(
    verifyDecision(analysed, alice.sign(analysed), context({ record: { ...record, state: 'blocked' }, withdrawalBlock: true })).statement
      .decision,
    'reject',
  );
});

test('the canonical statement is sorted, compact UTF-8 and round-trips through parseStatement', () => {
  const s = statement({ nonce: newNonce() });
  const text = canonicalStatement(s);
  assert.deepEqual(Object.keys(JSON.parse(text) as object), Object.keys(JSON.parse(text) as object).sort());
  assert.ok(!/\n|": /.test(text));
  assert.ok(text.includes('✓'), 'non-ASCII is written as UTF-8, not escaped');
  assert.deepEqual(parseStatement(text), s);
  assert.match(s.nonce, /^[A-Za-z0-9_-]{22}$/);
});
