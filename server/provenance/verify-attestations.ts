/**
 * Verifies npm attestation bundles offline and reads where the version was built. Every bundle must
 * verify against the trust material (certificate chain to a trusted CA with a CT log proof, or a
 * registry key; a transparency-log entry; the DSSE signature), and must be about exactly these
 * tarball bytes: its in-toto subject names `pkg:npm/<name>@<version>` with the tarball's sha512.
 */
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { crypto as sigCrypto } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type Signer } from '@sigstore/verify';
import type { ProvenanceFacts } from '../analyzer';
import { ProvenanceError } from './errors';
import type { ProvenanceTrust } from './trusted-root';

/** What the caller knows about the version whose attestations are checked. */
export interface AttestedVersion {
  readonly name: string;
  readonly version: string;
  /** sha512 of the verified tarball bytes. */
  readonly sha512: Buffer;
}

/** The verified facts: where it was built (null when no provenance bundle was among them) and how many bundles verified. */
export interface VerifiedAttestations {
  readonly provenance: ProvenanceFacts | null;
  readonly bundles: number;
}

const SLSA_PROVENANCE = /^https:\/\/slsa\.dev\/provenance\//;
const IN_TOTO = 'application/vnd.in-toto+json';
// Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md)
const OID = {
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
};

function invalid(message: string, cause?: unknown): never {
  throw new ProvenanceError('PROVENANCE_INVALID', message, cause === undefined ? undefined : { cause });
}

const verifiers = new WeakMap<ProvenanceTrust, Verifier>();

function verifierFor(trust: ProvenanceTrust): Verifier {
  let v = verifiers.get(trust);
  if (!v) {
    const root = TrustedRoot.fromJSON(trust.trustedRoot);
    const material = toTrustMaterial(root, (hint: string) => {
      const key = trust.keys[hint];
      if (!key) invalid(`the bundle is signed by an unknown key ${hint.slice(0, 80)}`);
      return {
        publicKey: sigCrypto.createPublicKey(Buffer.from(key.publicKey, 'base64')),
        validFor: (date: Date) =>
          (key.validFrom === undefined || date.getTime() >= key.validFrom) &&
          (key.validUntil === undefined || date.getTime() <= key.validUntil),
      };
    });
    v = new Verifier(material, { tlogThreshold: 1, ctlogThreshold: 1 });
    verifiers.set(trust, v);
  }
  return v;
}

/** A DER UTF8String/IA5String/OCTET STRING payload as text (Fulcio v2 extensions are DER strings). */
function derText(value: Buffer): string {
  if (value.length >= 2 && (value[0] === 0x0c || value[0] === 0x16 || value[0] === 0x04)) {
    let len = value[1]!;
    let at = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + value[2 + i]!;
      at = 2 + n;
    }
    if (at + len === value.length) return value.toString('utf8', at);
  }
  return value.toString('utf8');
}

function extension(signer: Signer, oid: string): string | null {
  const hit = signer.identity?.oids?.find((o) => o.oid?.id.join('.') === oid);
  return hit ? derText(Buffer.from(hit.value)) : null;
}

/** Repository, workflow path and builder, from the certificate Fulcio issued (what the OIDC token proved), not from the signed claims. */
function factsOf(signer: Signer): ProvenanceFacts {
  const repository = extension(signer, OID.sourceRepositoryUri);
  const signerUri = extension(signer, OID.buildSignerUri) ?? signer.identity?.subjectAlternativeName ?? null;
  let workflowPath: string | null = signerUri ? signerUri.replace(/@[^@]*$/, '') : null;
  if (workflowPath && repository && workflowPath.startsWith(`${repository}/`)) workflowPath = workflowPath.slice(repository.length + 1);
  const issuer = extension(signer, OID.issuer) ?? signer.identity?.extensions?.issuer ?? null;
  const runner = extension(signer, OID.runnerEnvironment);
  const builder = issuer || runner ? `${issuer ?? 'unknown issuer'}${runner ? ` (${runner})` : ''}` : null;
  return { repository, workflowPath, builder };
}

function purlMatches(subjectName: unknown, name: string, version: string): boolean {
  if (typeof subjectName !== 'string') return false;
  try {
    return decodeURIComponent(subjectName) === `pkg:npm/${name}@${version}`;
  } catch {
    return false;
  }
}

/** Checks the signed statement is about exactly `target`; returns its (signed) predicate type. */
function checkSubject(bundle: Bundle, target: AttestedVersion): string | null {
  if (bundle.content.$case !== 'dsseEnvelope') invalid('an attestation bundle is not a DSSE envelope');
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO)
    invalid(`an attestation has payload type ${JSON.stringify(envelope.payloadType).slice(0, 80)}, not an in-toto statement`);
  let statement: { predicateType?: unknown; subject?: Array<{ name?: unknown; digest?: Record<string, unknown> }> };
  try {
    statement = JSON.parse(envelope.payload.toString('utf8')) as typeof statement;
  } catch (err) {
    invalid('an attestation payload is not JSON', err);
  }
  const want = target.sha512.toString('hex');
  const subjects = Array.isArray(statement.subject) ? statement.subject : [];
  const ours = subjects.filter((s) => purlMatches(s?.name, target.name, target.version));
  if (ours.length === 0)
    invalid(
      `an attestation is about ${
        subjects
          .map((s) => String(s?.name))
          .join(', ')
          .slice(0, 120) || 'nothing'
      }, not ${target.name}@${target.version}`,
    );
  if (!ours.every((s) => typeof s.digest?.sha512 === 'string' && s.digest.sha512.toLowerCase() === want)) {
    invalid(
      `an attestation of ${target.name}@${target.version} names a tarball digest that is not the one of the bytes the mirror verified: it is about other bytes`,
    );
  }
  return typeof statement.predicateType === 'string' ? statement.predicateType : null;
}

/**
 * Verifies an attestations response (`{ attestations: [{ predicateType, bundle }] }`) for the verified
 * tarball `target`. Throws PROVENANCE_INVALID when any bundle fails.
 */
export function verifyAttestations(response: unknown, target: AttestedVersion, trust: ProvenanceTrust): VerifiedAttestations {
  const list = (response as { attestations?: unknown } | null)?.attestations;
  if (!Array.isArray(list)) invalid('the attestations response has no "attestations" list');
  const verifier = verifierFor(trust);
  let provenance: ProvenanceFacts | null = null;
  for (const [i, entry] of list.entries()) {
    // the listed predicateType is not signed; the one inside the verified statement is what counts
    const raw = (entry as { bundle?: unknown } | null)?.bundle;
    let bundle: Bundle;
    let signer: Signer;
    try {
      bundle = bundleFromJSON(raw);
      signer = verifier.verify(toSignedEntity(bundle));
    } catch (err) {
      if (err instanceof ProvenanceError) throw err;
      invalid(`attestation ${i + 1} of ${target.name}@${target.version} does not verify: ${(err as Error).message}`, err);
    }
    const predicateType = checkSubject(bundle, target);
    if (predicateType && SLSA_PROVENANCE.test(predicateType)) {
      if (provenance) invalid(`${target.name}@${target.version} has more than one provenance attestation`);
      if (signer.identity === undefined) invalid('the provenance attestation is not signed by a certificate');
      provenance = factsOf(signer);
    }
  }
  return { provenance, bundles: list.length };
}
