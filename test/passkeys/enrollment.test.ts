import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ApprovalError } from '../../server/approvals/errors';
import { PasskeyError, type PasskeyErrorCode } from '../../server/passkeys/errors';
import { canonicalRequest, parseRequest, PASSKEY_NAMESPACE } from '../../server/passkeys/passkey-request';
import { relyingParty } from '../../server/passkeys/relying-party';
import { configWith } from '../approvals/service-fixture';
import { testApprover } from '../approvals/keys';
import { SoftAuthenticator } from '../helpers/soft-authenticator';
import { ORIGIN, passkeyFixture, RP_ID } from './passkey-fixture';

const alice = testApprover('alice');
const bob = testApprover('bob');
const config = configWith([alice.approver, bob.approver], { mirrorId: 'test-mirror', publicUrl: 'https://cordon.test/' });
const code = (c: string) => (e: unknown) => {
  if (!(e instanceof ApprovalError || e instanceof PasskeyError)) return false;
  assert.equal(e.code, c, e.message);
  return true;
};
const hash = (t: string) => createHash('sha256').update(t).digest('hex');

test('a link is bound to the approver who signed it, works once and for 10 minutes, and the binding is audited', async () => {
  const f = await passkeyFixture(config);
  const token = await f.link(alice);
  const { approver, options } = await f.passkeys.registrationOptions(token);
  assert.equal(approver, 'alice');
  assert.equal(options.authenticatorSelection?.userVerification, 'required');
  assert.equal(options.rp.id, RP_ID);
  const auth = new SoftAuthenticator(ORIGIN, RP_ID);
  const passkey = await f.passkeys.register(token, auth.register(options));
  assert.deepEqual([passkey.approver, passkey.sshKey, passkey.algorithm], ['alice', alice.approver.publicKey, -7]);
  assert.match(passkey.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  await assert.rejects(f.passkeys.registrationOptions(token), code('ENROLLMENT_USED'));
  const entry = (await f.store.audit.ofPackage('-')).find((e) => e.cause === 'passkey-enrolled')!;
  assert.equal(entry.detail!.tokenHash, hash(token));
  assert.equal(parseRequest(entry.detail!.request as string).approver, 'alice');

  const late = await f.link(bob);
  f.clock.advance(10 * 60_000);
  await assert.rejects(f.passkeys.registrationOptions(late), code('ENROLLMENT_EXPIRED'));
  await assert.rejects(f.passkeys.registrationOptions('x'.repeat(43)), code('ENROLLMENT_UNKNOWN'));
  await assert.rejects(f.passkeys.registrationOptions('short'), code('ENROLLMENT_UNKNOWN'));
});

test('enrollment requests: only an approver, only in the passkey namespace, only fresh, only once', async () => {
  const f = await passkeyFixture(config);
  const subject = hash('t'.repeat(43));
  const { text } = await f.passkeys.requestFor('enroll', alice.approver.publicKey, subject);
  await assert.rejects(
    async () => await f.passkeys.enroll(text, alice.sign(text)),
    code('BAD_SIGNATURE'),
    'a decision-namespace signature is not an enrollment',
  );
  await assert.rejects(
    async () => await f.passkeys.enroll(text, testApprover('eve').sign(text, PASSKEY_NAMESPACE)),
    code('UNKNOWN_SIGNER'),
  );
  await assert.rejects(
    async () => await f.passkeys.enroll(text, bob.sign(text, PASSKEY_NAMESPACE)),
    code('APPROVER_MISMATCH'),
    'bob cannot enroll a passkey as alice',
  );
  const tampered = canonicalRequest({ ...parseRequest(text), subject: hash('other') });
  await assert.rejects(
    async () => await f.passkeys.enroll(tampered, alice.sign(text, PASSKEY_NAMESPACE)),
    code('BAD_SIGNATURE'),
    'a request changed after signing',
  );
  const bobs = (await f.passkeys.requestFor('enroll', bob.approver.publicKey, subject)).text;
  await assert.rejects(
    async () => await f.passkeys.enroll(`${text} `, alice.sign(`${text} `, PASSKEY_NAMESPACE)),
    code('REQUEST_MALFORMED'),
  );
  await f.passkeys.enroll(text, alice.sign(text, PASSKEY_NAMESPACE));
  await assert.rejects(async () => await f.passkeys.enroll(text, alice.sign(text, PASSKEY_NAMESPACE)), code('NONCE_REUSED'));
  await assert.rejects(
    async () => await f.passkeys.enroll(bobs, bob.sign(bobs, PASSKEY_NAMESPACE)),
    code('NONCE_REUSED'),
    'the same link cannot be enrolled twice',
  );
  const stale = (await f.passkeys.requestFor('enroll', alice.approver.publicKey, hash('u'.repeat(43)))).text;
  f.clock.advance(11 * 60_000);
  await assert.rejects(async () => await f.passkeys.enroll(stale, alice.sign(stale, PASSKEY_NAMESPACE)), code('REQUEST_EXPIRED'));
});

test('a registration without user verification, or for another origin, binds nothing', async () => {
  const f = await passkeyFixture(config);
  for (const [label, make] of [
    ['no user verification', (o: { challenge: string }) => new SoftAuthenticator(ORIGIN, RP_ID).register(o, 0x41)],
    ['another origin', (o: { challenge: string }) => new SoftAuthenticator('https://evil.test', RP_ID).register(o)],
    ['another relying party', (o: { challenge: string }) => new SoftAuthenticator(ORIGIN, 'evil.test').register(o)],
  ] as const) {
    const token = await f.link(alice);
    const { options } = await f.passkeys.registrationOptions(token);
    await assert.rejects(f.passkeys.register(token, make(options)), code('REGISTRATION_FAILED'), label);
  }
  assert.deepEqual(await f.passkeys.list(), []);
  assert.equal((await f.store.audit.ofPackage('-')).length, 0);
});

test('passkeys need a secure origin that is a host name; the reason says what to set', async () => {
  const cases: Array<[string | null, boolean, RegExp]> = [
    [null, false, /publicUrl/],
    ['http://npm.corp.example/', false, /not https/],
    ['https://10.0.0.5/', false, /IP address/],
    ['http://localhost:4873/', true, /./],
    ['https://npm.corp.example/mirror/', true, /./],
  ];
  for (const [url, enabled, why] of cases) {
    const rp = relyingParty(url);
    assert.equal(rp.enabled, enabled, String(url));
    if (!rp.enabled) assert.match(rp.reason, why);
  }
  assert.deepEqual(relyingParty('https://npm.corp.example/mirror/'), {
    enabled: true,
    origin: 'https://npm.corp.example',
    rpId: 'npm.corp.example',
  });
  const off = await passkeyFixture(configWith([alice.approver], { publicUrl: 'http://npm.corp.example/' }));
  await assert.rejects(
    async () => off.passkeys.requestFor('enroll', alice.approver.publicKey, hash(randomBytes(8).toString('hex'))),
    code('PASSKEYS_OFF' as PasskeyErrorCode),
  );
});
