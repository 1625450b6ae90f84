/** A passkey's COSE public key as SPKI PEM, so `openssl` can verify its signatures. */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type * as Helpers from '@simplewebauthn/server/script/helpers/index';
import { PASSKEY_ALGORITHMS } from '../approvals/webauthn-evidence';

// The helpers are a sub-path export the node10 resolver cannot type; the runtime require is the supported path.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helpers = require('@simplewebauthn/server/helpers') as typeof Helpers;

const b64u = (v: unknown): string => Buffer.from(v as Uint8Array).toString('base64url');

/** The PEM and algorithm of a COSE-encoded public key; throws for a key type Cordon does not accept. */
export function coseToPem(cose: Uint8Array): { pem: string; algorithm: number } {
  const map = helpers.decodeCredentialPublicKey(new Uint8Array(cose)) as unknown as Map<number, unknown>;
  const kty = map.get(1);
  const algorithm = map.get(3);
  let jwk: JsonWebKey;
  if (kty === 2 && algorithm === PASSKEY_ALGORITHMS.ES256 && map.get(-1) === 1)
    jwk = { kty: 'EC', crv: 'P-256', x: b64u(map.get(-2)), y: b64u(map.get(-3)) };
  else if (kty === 1 && algorithm === PASSKEY_ALGORITHMS.EdDSA && map.get(-1) === 6)
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(map.get(-2)) };
  else if (kty === 3 && algorithm === PASSKEY_ALGORITHMS.RS256) jwk = { kty: 'RSA', n: b64u(map.get(-1)), e: b64u(map.get(-2)) };
  else throw new Error(`unsupported passkey key (kty ${String(kty)}, alg ${String(algorithm)})`);
  return { pem: createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString(), algorithm };
}
