import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ProvenanceError } from '../../server/provenance/errors';
import { publicGoodTrust } from '../../server/provenance/trusted-root';
import { verifyAttestations } from '../../server/provenance/verify-attestations';
import { packTarball } from '../helpers/pack-tarball';
import { PUBLISH, SLSA, TestSigstore } from '../helpers/sigstore-fixture';

const tarball = packTarball({ 'package.json': '{"name":"demo","version":"1.0.0"}', 'index.js': 'module.exports = 1;\n' });
const sha512 = createHash('sha512').update(tarball).digest();
const target = { name: 'demo', version: '1.0.0', sha512 };
const build = { repository: 'https://github.com/acme/demo', workflowPath: '.github/workflows/release.yml', ref: 'refs/tags/v1.0.0' };
let sigstore: TestSigstore;
let good: { attestations: Array<{ predicateType: string; bundle: any }> };

before(async () => {
  sigstore = await TestSigstore.create();
  good = await sigstore.attestations('demo', '1.0.0', sha512.toString('hex'), build);
});

const isInvalid = (err: unknown) => err instanceof ProvenanceError && err.code === 'PROVENANCE_INVALID';

test('valid bundles verify offline and give the build source from the certificate', () => {
  const out = verifyAttestations(good, target, sigstore.trust);
  assert.equal(out.bundles, 2);
  assert.deepEqual(out.provenance, {
    repository: build.repository,
    workflowPath: build.workflowPath,
    builder: 'https://token.actions.githubusercontent.com (github-hosted)',
  });
});

test('a bundle about other bytes is invalid, even when its signature verifies', async () => {
  const other = createHash('sha512').update('other bytes').digest('hex');
  const response = await sigstore.attestations('demo', '1.0.0', other, build);
  assert.throws(
    () => verifyAttestations(response, target, sigstore.trust),
    (e: unknown) => isInvalid(e) && /other bytes/.test((e as Error).message),
  );
});

test('a bundle about another package or version is invalid', async () => {
  for (const [name, version] of [
    ['evil', '1.0.0'],
    ['demo', '0.9.0'],
  ] as const) {
    const response = await sigstore.attestations(name, version, sha512.toString('hex'), build);
    assert.throws(() => verifyAttestations(response, target, sigstore.trust), isInvalid, `${name}@${version}`);
  }
});

test('a tampered payload, a forged signature, or a foreign root does not verify', async () => {
  const tampered = structuredClone(good);
  const forged = TestSigstore.statement(SLSA, 'demo', '1.0.0', sha512.toString('hex'), { injected: true });
  tampered.attestations[1]!.bundle.dsseEnvelope.payload = forged.toString('base64');
  assert.throws(() => verifyAttestations(tampered, target, sigstore.trust), isInvalid);

  const badSig = structuredClone(good);
  const sig = Buffer.from(badSig.attestations[0]!.bundle.dsseEnvelope.signatures[0].sig, 'base64');
  sig[sig.length - 1] ^= 1;
  badSig.attestations[0]!.bundle.dsseEnvelope.signatures[0].sig = sig.toString('base64');
  assert.throws(() => verifyAttestations(badSig, target, sigstore.trust), isInvalid);

  // Bundles made by another Sigstore (an attacker's own CA and log) are not trusted here.
  const stranger = await TestSigstore.create();
  const theirs = await stranger.attestations('demo', '1.0.0', sha512.toString('hex'), build);
  assert.throws(() => verifyAttestations(theirs, target, sigstore.trust), isInvalid);
  // Nor are test bundles under the real public-good root.
  assert.throws(() => verifyAttestations(good, target, publicGoodTrust()), isInvalid);
});

test('the predicate type that counts is the signed one, not the label in the list', () => {
  const relabelled = structuredClone(good);
  relabelled.attestations[1]!.predicateType = PUBLISH;
  assert.deepEqual(verifyAttestations(relabelled, target, sigstore.trust).provenance?.repository, build.repository);
});

test('a response that is not an attestation list, or holds a malformed bundle, is invalid', () => {
  for (const response of [
    null,
    {},
    { attestations: 'x' },
    { attestations: [{ predicateType: SLSA, bundle: { mediaType: 'nope' } }] },
    { attestations: [null] },
  ]) {
    assert.throws(() => verifyAttestations(response, target, sigstore.trust), isInvalid, JSON.stringify(response));
  }
});

test('the embedded public-good trust material loads', () => {
  const trust = publicGoodTrust();
  assert.ok((trust.trustedRoot as { tlogs?: unknown[] }).tlogs?.length);
  assert.ok(Object.keys(trust.keys).length >= 1);
});
