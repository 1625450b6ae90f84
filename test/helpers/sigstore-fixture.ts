/**
 * A private Sigstore for tests: its own CA (with a CT log), transparency log and registry key, a trusted
 * root naming them, and npm-style attestation bundles (in-toto statements in DSSE envelopes, logged
 * with a signed entry timestamp and an inclusion proof) for tarballs built in the test.
 */
import { createHash, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { initializeCA, initializeCTLog, initializeTLog } from '@sigstore/mock';
import type { ProvenanceTrust } from '../../server/provenance/trusted-root';

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };
const p256 = (): KeyPair => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const der = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });

/** Where a build ran, as Fulcio writes it into the signing certificate. */
export interface BuildIdentity {
  readonly repository: string;
  readonly workflowPath: string;
  readonly ref?: string;
  readonly runner?: string;
  readonly issuer?: string;
}

const SLSA = 'https://slsa.dev/provenance/v1';
const PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';
const IN_TOTO = 'application/vnd.in-toto+json';

function pae(type: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);
}

/** The test's Sigstore: call `create()` once per test file. */
export class TestSigstore {
  private constructor(
    readonly trust: ProvenanceTrust,
    private readonly ca: Awaited<ReturnType<typeof initializeCA>>,
    private readonly tlog: Awaited<ReturnType<typeof initializeTLog>>,
    private readonly registryKey: KeyPair & { id: string },
  ) {}

  static async create(): Promise<TestSigstore> {
    const ctKeys = p256();
    const ctlog = await initializeCTLog(ctKeys);
    const ca = await initializeCA(p256(), ctlog);
    const tlogKeys = p256();
    const tlog = await initializeTLog('https://rekor.test', tlogKeys);
    const registry = { ...p256(), id: 'SHA256:test-registry-key' };
    const start = new Date(Date.now() - 86_400_000).toISOString();
    const trustedRoot = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: 'https://rekor.test',
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: der(tlogKeys.publicKey).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
          logId: { keyId: createHash('sha256').update(der(tlogKeys.publicKey)).digest('base64') },
        },
      ],
      certificateAuthorities: [
        {
          subject: { organization: 'test', commonName: 'test' },
          uri: 'https://fulcio.test',
          certChain: {
            certificates: [
              {
                rawBytes: Buffer.from(ca.rootCertificate.buffer, ca.rootCertificate.byteOffset, ca.rootCertificate.byteLength).toString(
                  'base64',
                ),
              },
            ],
          },
          validFor: { start },
        },
      ],
      ctlogs: [
        {
          baseUrl: 'https://ct.test',
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: ctlog.publicKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
          logId: { keyId: Buffer.from(ctlog.logID.buffer, ctlog.logID.byteOffset, ctlog.logID.byteLength).toString('base64') },
        },
      ],
      timestampAuthorities: [],
    };
    const trust: ProvenanceTrust = { trustedRoot, keys: { [registry.id]: { publicKey: der(registry.publicKey).toString('base64') } } };
    return new TestSigstore(trust, ca, tlog, registry);
  }

  /** The in-toto statement npm signs for `name@version` with the given tarball digest (hex sha512). */
  static statement(predicateType: string, name: string, version: string, sha512Hex: string, predicate: object = {}): Buffer {
    const subject = [{ name: `pkg:npm/${name.replace('@', '%40')}@${version}`, digest: { sha512: sha512Hex } }];
    return Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject, predicateType, predicate }));
  }

  private async logged(envelope: { payload: Buffer; signature: Buffer }, verifier: string): Promise<object> {
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: {
          algorithm: 'sha256',
          value: createHash('sha256')
            .update(
              JSON.stringify({
                payload: envelope.payload.toString('base64'),
                payloadType: IN_TOTO,
                signatures: [{ sig: envelope.signature.toString('base64') }],
              }),
            )
            .digest('hex'),
        },
        payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(envelope.payload).digest('hex') },
        signatures: [{ signature: envelope.signature.toString('base64'), verifier: Buffer.from(verifier).toString('base64') }],
      },
    };
    const logged = Object.values(await this.tlog.log(body))[0] as {
      body: string;
      integratedTime: number;
      logID: string;
      logIndex: number;
      verification: {
        signedEntryTimestamp: string;
        inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string };
      };
    };
    const proof = logged.verification.inclusionProof;
    return {
      logIndex: String(logged.logIndex),
      logId: { keyId: Buffer.from(logged.logID, 'hex').toString('base64') },
      kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(logged.integratedTime),
      inclusionPromise: { signedEntryTimestamp: logged.verification.signedEntryTimestamp },
      inclusionProof: {
        logIndex: String(proof.logIndex),
        treeSize: String(proof.treeSize),
        rootHash: Buffer.from(proof.rootHash, 'hex').toString('base64'),
        hashes: proof.hashes.map((h) => Buffer.from(h, 'hex').toString('base64')),
        checkpoint: { envelope: proof.checkpoint },
      },
      canonicalizedBody: logged.body,
    };
  }

  /** A provenance bundle, signed by a Fulcio-style certificate for `build`, over `payload` (a statement). */
  async provenanceBundle(payload: Buffer, build: BuildIdentity): Promise<object> {
    const key = p256();
    const signerUri = `${build.repository}/${build.workflowPath}@${build.ref ?? 'refs/heads/main'}`;
    const cert = Buffer.from(
      (
        await this.ca.issueCertificate({
          publicKey: new Uint8Array(der(key.publicKey)),
          subjectAltName: signerUri,
          extensions: [
            { oid: '1.3.6.1.4.1.57264.1.8', value: build.issuer ?? 'https://token.actions.githubusercontent.com' },
            { oid: '1.3.6.1.4.1.57264.1.9', value: signerUri },
            { oid: '1.3.6.1.4.1.57264.1.11', value: build.runner ?? 'github-hosted' },
            { oid: '1.3.6.1.4.1.57264.1.12', value: build.repository },
          ],
        })
      ).buffer,
    );
    const signature = cryptoSign('sha256', pae(IN_TOTO, payload), key.privateKey);
    const pem = `-----BEGIN CERTIFICATE-----\n${cert
      .toString('base64')
      .match(/.{1,64}/g)!
      .join('\n')}\n-----END CERTIFICATE-----\n`;
    return {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        certificate: { rawBytes: cert.toString('base64') },
        tlogEntries: [await this.logged({ payload, signature }, pem)],
      },
      dsseEnvelope: {
        payload: payload.toString('base64'),
        payloadType: IN_TOTO,
        signatures: [{ sig: signature.toString('base64'), keyid: '' }],
      },
    };
  }

  /** npm's own publish attestation: signed with the registry key, named by its key id. */
  async publishBundle(payload: Buffer): Promise<object> {
    const signature = cryptoSign('sha256', pae(IN_TOTO, payload), this.registryKey.privateKey);
    const pem = this.registryKey.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    return {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: this.registryKey.id }, tlogEntries: [await this.logged({ payload, signature }, pem)] },
      dsseEnvelope: {
        payload: payload.toString('base64'),
        payloadType: IN_TOTO,
        signatures: [{ sig: signature.toString('base64'), keyid: this.registryKey.id }],
      },
    };
  }

  /** The attestations response npm serves for a version built by `build` from a tarball with digest `sha512Hex`. */
  async attestations(
    name: string,
    version: string,
    sha512Hex: string,
    build: BuildIdentity,
  ): Promise<{ attestations: Array<{ predicateType: string; bundle: object }> }> {
    const provenance = TestSigstore.statement(SLSA, name, version, sha512Hex, {
      buildDefinition: { externalParameters: { workflow: { repository: build.repository, path: build.workflowPath } } },
    });
    const publish = TestSigstore.statement(PUBLISH, name, version, sha512Hex, { name, version });
    return {
      attestations: [
        { predicateType: PUBLISH, bundle: await this.publishBundle(publish) },
        { predicateType: SLSA, bundle: await this.provenanceBundle(provenance, build) },
      ],
    };
  }
}

export { SLSA, PUBLISH };
