/** Store contract: enrollment links, passkeys, their audit entries. */
import assert from 'node:assert/strict';
import { PASSKEY_AUDIT_PACKAGE, PASSKEY_ENROLLED, PASSKEY_REMOVED, type NewPasskey } from '../../../storage';
import { contract, T } from './contract';

const enrollment = {
  tokenHash: 'th-1',
  approver: 'alice',
  publicKey: 'AAAAC3',
  request: 'request text',
  signature: 'sig',
  nonce: 'nonce-1',
  createdAt: T,
  expiresAt: T + 600_000,
};
const passkey: NewPasskey = {
  credentialId: 'cred-1',
  approver: 'alice',
  sshKey: 'AAAAC3',
  publicKey: 'cose',
  publicKeyPem: '-----BEGIN PUBLIC KEY-----',
  algorithm: -7,
  counter: 0,
  transports: ['usb', 'nfc'],
  tokenHash: 'th-1',
  createdAt: T + 10,
};

contract(
  'an enrollment link is used once, with its challenge, before it expires; the passkey and its removal are audited',
  async (store) => {
    assert.equal(await store.passkeys.addEnrollment(enrollment), true);
    assert.equal(await store.passkeys.addEnrollment(enrollment), false, 'the same token again');
    assert.equal(await store.passkeys.addEnrollment({ ...enrollment, tokenHash: 'th-2' }), false, 'the same nonce again');
    assert.deepEqual(await store.passkeys.enrollment('th-1'), { ...enrollment, challenge: null, usedAt: null });
    assert.equal(await store.passkeys.enrollment('th-x'), undefined);

    assert.equal(await store.passkeys.setChallenge('th-1', 'ch-1'), true);
    assert.equal(await store.passkeys.setChallenge('th-1', 'ch-2'), true, 'a newer challenge replaces it');
    assert.equal(
      await store.passkeys.completeEnrollment(passkey, 'ch-1', T + 10, { approver: 'alice' }),
      undefined,
      'the replaced challenge',
    );
    assert.equal(await store.passkeys.completeEnrollment(passkey, 'ch-2', T + 700_000, { approver: 'alice' }), undefined, 'expired');
    assert.equal(await store.passkeys.passkey('cred-1'), undefined);

    const done = await store.passkeys.completeEnrollment(passkey, 'ch-2', T + 10, { approver: 'alice', credentialId: 'cred-1' });
    assert.ok(done);
    assert.deepEqual(done.passkey, { ...passkey, lastUsedAt: null, removedAt: null, auditId: done.entry.id });
    assert.deepEqual(
      [done.entry.package, done.entry.cause, done.entry.detail],
      [PASSKEY_AUDIT_PACKAGE, PASSKEY_ENROLLED, { approver: 'alice', credentialId: 'cred-1' }],
    );
    assert.equal(
      await store.passkeys.completeEnrollment({ ...passkey, credentialId: 'cred-2' }, 'ch-2', T + 11, {}),
      undefined,
      'a used link',
    );
    assert.equal(await store.passkeys.setChallenge('th-1', 'ch-3'), false, 'a used link takes no new challenge');
    assert.equal((await store.passkeys.enrollment('th-1'))?.usedAt, T + 10);
    assert.deepEqual(await store.passkeys.passkey('cred-1'), done.passkey);

    assert.equal(await store.passkeys.touch('cred-1', 5, T + 20), true);
    assert.deepEqual(await store.passkeys.passkey('cred-1').then((p) => [p?.counter, p?.lastUsedAt]), [5, T + 20]);
    assert.equal(await store.passkeys.remove('cred-1', T + 30, { approver: 'alice' }), true);
    assert.equal(await store.passkeys.remove('cred-1', T + 31, { approver: 'alice' }), false, 'already removed');
    assert.equal(await store.passkeys.touch('cred-1', 6, T + 40), false, 'a removed passkey is not used');
    assert.deepEqual(
      (await store.passkeys.all()).map((p) => [p.credentialId, p.removedAt, p.transports]),
      [['cred-1', T + 30, ['usb', 'nfc']]],
    );
    assert.deepEqual(
      (await store.audit.ofPackage(PASSKEY_AUDIT_PACKAGE)).map((e) => e.cause),
      [PASSKEY_ENROLLED, PASSKEY_REMOVED],
    );
  },
);
