/**
 * A passkey decision as evidence anyone can check without Cordon: the WebAuthn challenge is the SHA-256
 * of the exact statement bytes, the authenticator verified the user, and the signature over
 * authenticatorData ‖ SHA-256(clientDataJSON) verifies with the credential's public key. Pure (node crypto).
 */
import { createHash, createPublicKey, verify } from 'node:crypto';

/** COSE algorithms a passkey may use here; each is one `openssl` command away from verification. */
export const PASSKEY_ALGORITHMS = { ES256: -7, EdDSA: -8, RS256: -257 } as const;
export const SUPPORTED_ALGORITHM_IDS: readonly number[] = Object.values(PASSKEY_ALGORITHMS);

/** authenticatorData flags (WebAuthn §6.1). */
const USER_PRESENT = 0x01;
const USER_VERIFIED = 0x04;

/** What a passkey decision keeps next to its statement. Binary fields are base64url. */
export interface WebAuthnEvidence {
  readonly credentialId: string;
  /** The credential's public key, SPKI PEM. */
  readonly publicKeyPem: string;
  /** COSE algorithm id. */
  readonly algorithm: number;
  readonly authenticatorData: string;
  readonly clientDataJSON: string;
  readonly signature: string;
  readonly rpId: string;
  readonly origin: string;
}

/** The WebAuthn challenge for a statement: base64url(SHA-256(UTF-8 statement)). */
export function statementChallenge(statementText: string): string {
  return createHash('sha256').update(statementText, 'utf8').digest('base64url');
}

/** Reads evidence back from stored JSON; undefined when a field is missing or of the wrong type. */
export function asEvidence(value: unknown): WebAuthnEvidence | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const strings = ['credentialId', 'publicKeyPem', 'authenticatorData', 'clientDataJSON', 'signature', 'rpId', 'origin'];
  if (!strings.every((k) => typeof v[k] === 'string') || typeof v.algorithm !== 'number') return undefined;
  return v as unknown as WebAuthnEvidence;
}

/** The bytes the authenticator signed. */
export function signedBytes(ev: Pick<WebAuthnEvidence, 'authenticatorData' | 'clientDataJSON'>): Buffer {
  return Buffer.concat([
    Buffer.from(ev.authenticatorData, 'base64url'),
    createHash('sha256').update(Buffer.from(ev.clientDataJSON, 'base64url')).digest(),
  ]);
}

/** Null when `ev` proves a user-verified passkey signature over `statementText`; otherwise what is wrong. */
export function checkWebAuthnEvidence(statementText: string, ev: WebAuthnEvidence): string | null {
  let clientData: Record<string, unknown>;
  try {
    clientData = JSON.parse(Buffer.from(ev.clientDataJSON, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'the clientDataJSON is not JSON';
  }
  if (clientData.type !== 'webauthn.get') return `the clientDataJSON is of type ${JSON.stringify(clientData.type)}, not webauthn.get`;
  if (clientData.challenge !== statementChallenge(statementText)) return 'the signed challenge is not the SHA-256 of the statement';
  if (clientData.origin !== ev.origin) return 'the clientDataJSON names another origin than the one recorded';
  const authData = Buffer.from(ev.authenticatorData, 'base64url');
  if (authData.length < 37) return 'the authenticatorData is too short';
  if (!authData.subarray(0, 32).equals(createHash('sha256').update(ev.rpId, 'utf8').digest()))
    return 'the authenticatorData is for another relying party';
  const flags = authData[32]!;
  if ((flags & USER_PRESENT) === 0 || (flags & USER_VERIFIED) === 0)
    return 'the authenticator did not verify the user (no PIN or biometric)';
  let ok: boolean;
  try {
    const key = createPublicKey(ev.publicKeyPem);
    const sig = Buffer.from(ev.signature, 'base64url');
    const data = signedBytes(ev);
    if (ev.algorithm === PASSKEY_ALGORITHMS.ES256) ok = verify('sha256', data, { key, dsaEncoding: 'der' }, sig);
    else if (ev.algorithm === PASSKEY_ALGORITHMS.EdDSA) ok = verify(null, data, key, sig);
    else if (ev.algorithm === PASSKEY_ALGORITHMS.RS256) ok = verify('sha256', data, key, sig);
    else return `algorithm ${ev.algorithm} is not one Cordon accepts`;
  } catch (err) {
    return `the signature cannot be checked: ${(err as Error).message}`;
  }
  return ok ? null : 'the passkey signature does not verify';
}
