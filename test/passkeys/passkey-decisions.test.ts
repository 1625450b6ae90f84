import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApprovalError, type ApprovalErrorCode } from '../../server/approvals/errors';
import { verifyAudit } from '../../server/approvals/audit-verify';
import { statementChallenge } from '../../server/approvals/webauthn-evidence';
import { configWith, HOUR, postinstall } from '../approvals/service-fixture';
import { testApprover } from '../approvals/keys';
import { passkeyFixture, RP_ID } from './passkey-fixture';
import { SoftAuthenticator } from '../helpers/soft-authenticator';

const alice = testApprover('alice');
const bob = testApprover('bob');
const config = configWith([alice.approver, bob.approver], {
  quorum: { critical: 2 },
  mirrorId: 'test-mirror',
  publicUrl: 'https://cordon.test/',
});

const rejects = async (p: Promise<unknown>, code: ApprovalErrorCode) =>
  assert.rejects(p, (e: unknown) => {
    if (!(e instanceof ApprovalError)) return false;
    assert.equal(e.code, code, e.message);
    return true;
  });

test('a passkey decision and an SSH decision from different approvers reach one quorum; the audit verifies both', async () => {
  const f = await passkeyFixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  f.clock.advance(72 * HOUR);
  const auth = await f.enroll(alice);
  const { text, assertion } = await f.signed(auth, alice, 'lib', '2.0.0');
  const first = await f.service.submitSigned('lib', '2.0.0', text, await f.passkeys.authenticate(text, assertion));
  assert.deepEqual([first.decision.method, first.status.approvedBy, first.transition], ['webauthn', ['alice'], null]);
  const ssh = await f.service.statementFor('lib', '2.0.0', 'approve', 'ok', bob.approver.publicKey);
  const second = await f.service.submit('lib', '2.0.0', ssh.text, bob.sign(ssh.text));
  assert.equal(second.transition?.to, 'approved');
  assert.equal((await f.store.versions.versionOf('lib', '2.0.0'))?.state, 'approved', 'the store trigger accepts the passkey decision row');
  const report = verifyAudit(await f.store.audit.page(0, 1000));
  assert.deepEqual(report.problems, []);
  assert.deepEqual(
    report.decisions.map((d) => [d.statement.approver, d.method]),
    [
      ['alice', 'webauthn'],
      ['bob', 'ssh'],
    ],
  );
  assert.equal(report.enrollments.length, 1);
});

test('one approver counts once whichever way they sign: passkey then SSH is ALREADY_SIGNED', async () => {
  const f = await passkeyFixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  const auth = await f.enroll(alice);
  const { text, assertion } = await f.signed(auth, alice, 'lib', '2.0.0');
  await f.service.submitSigned('lib', '2.0.0', text, await f.passkeys.authenticate(text, assertion));
  const before = await f.snapshot();
  const ssh = await f.service.statementFor('lib', '2.0.0', 'approve', 'again', alice.approver.publicKey);
  await assert.rejects(
    async () => await f.service.submit('lib', '2.0.0', ssh.text, alice.sign(ssh.text)),
    (e: unknown) => e instanceof ApprovalError && e.code === 'ALREADY_SIGNED',
  );
  const second = await f.enroll(alice);
  const again = await f.signed(second, alice, 'lib', '2.0.0');
  await assert.rejects(
    async () => await f.service.submitSigned('lib', '2.0.0', again.text, await f.passkeys.authenticate(again.text, again.assertion)),
    (e: unknown) => e instanceof ApprovalError && e.code === 'ALREADY_SIGNED',
  );
  assert.deepEqual(((await f.snapshot()) as { decisions: unknown }).decisions, (before as { decisions: unknown }).decisions);
});

test('every forged or stale passkey assertion is refused with the SSH codes, and changes nothing', async () => {
  const f = await passkeyFixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  const auth = await f.enroll(alice);
  const stranger = new SoftAuthenticator('https://cordon.test', RP_ID);
  const good = await f.signed(auth, alice, 'lib', '2.0.0');
  const other = await f.signed(auth, alice, 'lib', '2.0.0');
  const before = await f.snapshot();
  const cases: Array<[string, () => Promise<unknown>, ApprovalErrorCode]> = [
    [
      'the challenge of another statement',
      () => f.passkeys.authenticate(good.text, auth.assert(statementChallenge(other.text))),
      'BAD_SIGNATURE',
    ],
    [
      'no user verification (UP only)',
      () => f.passkeys.authenticate(good.text, auth.assert(statementChallenge(good.text), { flags: 0x01 })),
      'BAD_SIGNATURE',
    ],
    [
      'another origin',
      () => f.passkeys.authenticate(good.text, auth.assert(statementChallenge(good.text), { origin: 'https://evil.test' })),
      'BAD_SIGNATURE',
    ],
    [
      'another relying party',
      () => f.passkeys.authenticate(good.text, auth.assert(statementChallenge(good.text), { rpId: 'evil.test' })),
      'BAD_SIGNATURE',
    ],
    [
      'a registration, not an assertion',
      () => f.passkeys.authenticate(good.text, auth.assert(statementChallenge(good.text), { type: 'webauthn.create' })),
      'BAD_SIGNATURE',
    ],
    [
      'a passkey never enrolled',
      () => f.passkeys.authenticate(good.text, stranger.assert(statementChallenge(good.text))),
      'UNKNOWN_SIGNER',
    ],
    ['not an assertion at all', () => f.passkeys.authenticate(good.text, { id: '<img>', type: 'public-key' }), 'SIGNATURE_MALFORMED'],
  ];
  for (const [what, call, code] of cases) await rejects(call(), code).catch((e) => assert.fail(`${what}: ${e}`));
  // A statement naming bob, signed with alice's passkey.
  const forBob = await f.service.statementAs(config.approvers[1]!, 'lib', '2.0.0', 'approve', 'x');
  const signer = await f.passkeys.authenticate(forBob.text, auth.assert(statementChallenge(forBob.text)));
  await assert.rejects(
    async () => await f.service.submitSigned('lib', '2.0.0', forBob.text, signer),
    (e: unknown) => e instanceof ApprovalError && e.code === 'APPROVER_MISMATCH',
  );
  // Expired: the same checks as SSH.
  const late = await f.signed(auth, alice, 'lib', '2.0.0');
  f.clock.advance(11 * 60_000);
  const lateSigner = await f.passkeys.authenticate(late.text, late.assertion);
  await assert.rejects(
    async () => await f.service.submitSigned('lib', '2.0.0', late.text, lateSigner),
    (e: unknown) => e instanceof ApprovalError && e.code === 'STATEMENT_EXPIRED',
  );
  assert.deepEqual({ ...((await f.snapshot()) as object), audit: undefined }, { ...(before as object), audit: undefined });
  assert.deepEqual(f.db.prepare("SELECT count(*) AS n FROM audit_log WHERE cause = 'decision-signed'").get(), { n: 0 });
});

test('a replayed or cloned passkey (its counter did not move) is refused', async () => {
  const f = await passkeyFixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  await f.seed('lib', '3.0.0', [postinstall]);
  const auth = await f.enroll(alice);
  const first = await f.signed(auth, alice, 'lib', '2.0.0');
  await f.service.submitSigned('lib', '2.0.0', first.text, await f.passkeys.authenticate(first.text, first.assertion));
  const used = auth.counter;
  const replay = await f.signed(auth, alice, 'lib', '3.0.0', 'approve', { counter: used });
  await rejects(f.passkeys.authenticate(replay.text, replay.assertion), 'BAD_SIGNATURE');
  assert.equal((await f.service.decisionsOf('lib', '3.0.0')).length, 0);
});

test('removed passkeys and approvers removed from the config cannot sign; removal is SSH-signed and audited', async () => {
  const f = await passkeyFixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  const auth = await f.enroll(alice);
  // The approver leaves cordon.yaml: all their passkeys stop at once.
  const withoutAlice = f.withConfig(configWith([bob.approver], { mirrorId: 'test-mirror', publicUrl: 'https://cordon.test/' }));
  const s = await f.signed(auth, alice, 'lib', '2.0.0');
  await rejects(withoutAlice.authenticate(s.text, s.assertion), 'UNKNOWN_SIGNER');
  assert.equal((await withoutAlice.list())[0]?.status, 'approver-removed');
  // Her key is replaced: the same.
  const newKey = testApprover('alice');
  const replaced = f.withConfig(
    configWith([newKey.approver, bob.approver], { mirrorId: 'test-mirror', publicUrl: 'https://cordon.test/' }),
  );
  await rejects(replaced.authenticate(s.text, auth.assert(statementChallenge(s.text))), 'UNKNOWN_SIGNER');
  // She removes the passkey herself: bob cannot, and a decision signature cannot stand in for a removal.
  const { text } = await f.passkeys.requestFor('remove', alice.approver.publicKey, auth.id);
  await assert.rejects(
    async () => await f.passkeys.remove(text, alice.sign(text)),
    (e: unknown) => e instanceof ApprovalError && e.code === 'BAD_SIGNATURE',
  );
  await assert.rejects(
    async () => await f.passkeys.requestFor('remove', bob.approver.publicKey, auth.id),
    (e: unknown) => e instanceof ApprovalError && e.code === 'APPROVER_MISMATCH',
  );
  await f.passkeys.remove(text, alice.sign(text, 'cordon-passkey'));
  const after = await f.signed(auth, alice, 'lib', '2.0.0');
  await rejects(f.passkeys.authenticate(after.text, after.assertion), 'UNKNOWN_SIGNER');
  const report = verifyAudit(await f.store.audit.page(0, 1000));
  assert.deepEqual(report.problems, []);
  assert.equal(report.enrollments[0]?.removedBy !== undefined, true);
});

test('the audit log catches a passkey decision whose evidence or enrollment was tampered with', async () => {
  const f = await passkeyFixture(config);
  await f.seed('lib', '2.0.0', [postinstall]);
  const auth = await f.enroll(alice);
  const { text, assertion } = await f.signed(auth, alice, 'lib', '2.0.0');
  await f.service.submitSigned('lib', '2.0.0', text, await f.passkeys.authenticate(text, assertion));
  const entries = await f.store.audit.page(0, 1000);
  const decision = entries.findIndex((e) => e.cause === 'decision-signed');
  const enrollment = entries.findIndex((e) => e.cause === 'passkey-enrolled');
  const swap = (i: number, detail: Record<string, unknown>) =>
    entries.map((e, j) => (j === i ? { ...e, detail: { ...e.detail, ...detail } } : e));
  const codes = (list: typeof entries) =>
    verifyAudit(list)
      .problems.map((p) => p.code)
      .sort();
  const ev = entries[decision]!.detail!.evidence as Record<string, string>;
  const otherStatement = text.replace('"reason":"reviewed"', '"reason":"forged"');
  assert.deepEqual(codes(swap(decision, { statement: otherStatement })), ['ENTRY_ALTERED', 'SIGNATURE_INVALID']);
  assert.deepEqual(
    codes(
      swap(decision, {
        evidence: {
          ...ev,
          clientDataJSON: Buffer.from(
            JSON.stringify({ type: 'webauthn.get', challenge: statementChallenge(otherStatement), origin: ev.origin }),
          ).toString('base64url'),
        },
      }),
    ),
    ['ENTRY_ALTERED', 'SIGNATURE_INVALID'],
  );
  assert.deepEqual(codes(swap(enrollment, { approver: 'bob' })), ['ENROLLMENT_INVALID', 'ENTRY_ALTERED', 'SIGNATURE_INVALID']);
  // The store itself refuses a passkey decision row without evidence.
  assert.throws(
    () =>
      f.db
        .prepare(
          "INSERT INTO decisions (package, version, integrity, findings_digest, decision, approver, public_key, statement, signature, method, nonce, issued_at, accepted_at, audit_id) VALUES ('lib','2.0.0','i','d','approve','alice','k','s','sig','webauthn','nnnnnnnnnnnnnnnnnn',0,0,1)",
        )
        .run(),
    /CHECK constraint failed/,
  );
});
