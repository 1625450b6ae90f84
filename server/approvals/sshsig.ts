/**
 * The OpenSSH signature format (PROTOCOL.sshsig), so a stored decision can be checked with
 * `ssh-keygen -Y verify` without Cordon. Ed25519 and FIDO Ed25519 (PROTOCOL.u2f) signatures.
 */
import { createHash, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { ApprovalError } from './errors';
import { ed25519KeyObject, encodePublicKeyBlob, parsePublicKeyBlob, ED25519, SK_ED25519, type SshPublicKey } from './ssh-key';
import { armor, dearmor, sshString, uint32, WireReader } from './ssh-wire';

/** The namespace every Cordon decision is signed in; a signature made for anything else (git, files) is refused. */
export const NAMESPACE = 'cordon-approval';
const MAGIC = Buffer.from('SSHSIG');
const LABEL = 'SSH SIGNATURE';
const HASH = 'sha512';
/** FIDO flag: the user touched the authenticator. */
const USER_PRESENCE = 0x01;

/** A parsed SSHSIG blob. */
export interface SshSignature {
  readonly publicKey: SshPublicKey;
  /** The signer's public key blob exactly as in the signature. */
  readonly publicKeyBlob: Buffer;
  readonly namespace: string;
  readonly hashAlgorithm: string;
  readonly sigType: string;
  /** The raw 64-byte Ed25519 signature. */
  readonly signature: Buffer;
  /** FIDO signatures only. */
  readonly flags?: number;
  readonly counter?: number;
}

/** The bytes the key actually signs: the message is hashed and wrapped with the namespace. */
export function signedData(message: Buffer, namespace = NAMESPACE, hashAlgorithm = HASH): Buffer {
  const digest = createHash(hashAlgorithm).update(message).digest();
  return Buffer.concat([MAGIC, sshString(namespace), sshString(''), sshString(hashAlgorithm), sshString(digest)]);
}

/** Parses an armoured `-----BEGIN SSH SIGNATURE-----` block; throws SIGNATURE_MALFORMED. */
export function parseSignature(armored: string): SshSignature {
  const blob = dearmor(LABEL, armored, 'SIGNATURE_MALFORMED', 'the signature');
  const r = new WireReader(blob, 'SIGNATURE_MALFORMED', 'the signature');
  if (!r.bytes(6).equals(MAGIC)) throw new ApprovalError('SIGNATURE_MALFORMED', 'the signature does not start with SSHSIG.');
  const version = r.uint32();
  if (version !== 1) throw new ApprovalError('SIGNATURE_MALFORMED', `the signature has format version ${version}; only 1 is known.`);
  const publicKeyBlob = r.string();
  const publicKey = parsePublicKeyBlob(publicKeyBlob, 'SIGNATURE_MALFORMED');
  const namespace = r.text();
  r.string(); // reserved
  const hashAlgorithm = r.text();
  const sig = new WireReader(r.string(), 'SIGNATURE_MALFORMED', 'the signature value');
  r.end();
  const sigType = sig.text();
  const signature = sig.string();
  if (signature.length !== 64) throw new ApprovalError('SIGNATURE_MALFORMED', 'the Ed25519 signature is not 64 bytes.');
  if (sigType === SK_ED25519) {
    const flags = sig.uint8();
    const counter = sig.uint32();
    sig.end();
    return { publicKey, publicKeyBlob, namespace, hashAlgorithm, sigType, signature, flags, counter };
  }
  sig.end();
  return { publicKey, publicKeyBlob, namespace, hashAlgorithm, sigType, signature };
}

/**
 * True when `sig` is a valid signature of `message` in `namespace` by the key it names. Refuses
 * another namespace, a hash other than sha512, a signature type that does not match the key, and a
 * FIDO signature made without user presence. Callers decide whether that key is trusted.
 */
export function verifySignature(sig: SshSignature, message: Buffer, namespace = NAMESPACE): boolean {
  if (sig.namespace !== namespace || sig.hashAlgorithm !== HASH) return false;
  if (sig.sigType !== sig.publicKey.type) return false;
  const data = signedData(message, namespace, HASH);
  const key = ed25519KeyObject(sig.publicKey.key);
  if (sig.publicKey.type === ED25519) return cryptoVerify(null, data, key, sig.signature);
  if (sig.flags === undefined || sig.counter === undefined || (sig.flags & USER_PRESENCE) === 0) return false;
  return cryptoVerify(null, skSignedData(sig.publicKey.application, sig.flags, sig.counter, data), key, sig.signature);
}

/** What a FIDO authenticator signs (PROTOCOL.u2f): application hash, flags, counter, message hash. */
export function skSignedData(application: string, flags: number, counter: number, data: Buffer): Buffer {
  return Buffer.concat([
    createHash('sha256').update(application).digest(),
    Buffer.from([flags]),
    uint32(counter),
    createHash('sha256').update(data).digest(),
  ]);
}

/** Signs `message` with an Ed25519 private key, producing the armoured block `ssh-keygen -Y sign` would. */
export function signMessage(
  message: Buffer,
  privateKey: KeyObject,
  publicKey: SshPublicKey & { type: typeof ED25519 },
  namespace = NAMESPACE,
): string {
  const raw = cryptoSign(null, signedData(message, namespace, HASH), privateKey);
  return armorSignature(publicKey, namespace, Buffer.concat([sshString(ED25519), sshString(raw)]));
}

/** Wraps a finished signature value (type, bytes and, for FIDO, flags and counter) in the SSHSIG envelope. */
export function armorSignature(publicKey: SshPublicKey, namespace: string, signatureValue: Buffer): string {
  const blob = Buffer.concat([
    MAGIC,
    uint32(1),
    sshString(encodePublicKeyBlob(publicKey)),
    sshString(namespace),
    sshString(''),
    sshString(HASH),
    sshString(signatureValue),
  ]);
  return armor(LABEL, blob);
}
