/**
 * Unencrypted OpenSSH private key files (`openssh-key-v1`) for Ed25519: read one to sign, write one for
 * `cordon keygen`. Encrypted and hardware (sk-) keys are recognised and left to `ssh-keygen`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { ApprovalError } from './errors';
import { ED25519, parsePublicKeyBlob, SK_ED25519, type SshPublicKey } from './ssh-key';
import { armor, dearmor, sshString, uint32, WireReader } from './ssh-wire';

const AUTH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const LABEL = 'OPENSSH PRIVATE KEY';

/** What a private key file turned out to be. */
export type PrivateKeyFile =
  | {
      readonly kind: 'ed25519';
      readonly publicKey: SshPublicKey & { type: typeof ED25519 };
      readonly privateKey: KeyObject;
      readonly comment: string;
    }
  /** Encrypted with a passphrase, or a FIDO key handle: only `ssh-keygen` (with the user, or the token) can sign. */
  | { readonly kind: 'needs-ssh-keygen'; readonly publicKey: SshPublicKey; readonly why: 'encrypted' | 'hardware' };

/** Reads the text of an OpenSSH private key file. Never puts key material in an error message. */
export function parsePrivateKeyFile(text: string): PrivateKeyFile {
  const blob = dearmor(LABEL, text, 'KEY_UNREADABLE', 'the key file');
  const r = new WireReader(blob, 'KEY_UNREADABLE', 'the key file');
  if (!r.bytes(AUTH_MAGIC.length).equals(AUTH_MAGIC))
    throw new ApprovalError('KEY_UNREADABLE', 'the key file is not an openssh-key-v1 private key.');
  const cipher = r.text();
  const kdf = r.text();
  r.string(); // kdf options
  const count = r.uint32();
  if (count !== 1) throw new ApprovalError('KEY_UNSUPPORTED', `the key file holds ${count} keys; use a file with one key.`);
  const publicKey = parsePublicKeyBlob(r.string());
  const section = r.string();
  r.end();
  if (publicKey.type === SK_ED25519) return { kind: 'needs-ssh-keygen', publicKey, why: 'hardware' };
  if (cipher !== 'none' || kdf !== 'none') return { kind: 'needs-ssh-keygen', publicKey, why: 'encrypted' };

  const p = new WireReader(section, 'KEY_UNREADABLE', 'the private part of the key file');
  // Two equal random words open the private part; they differ when the key was decrypted with a wrong passphrase or damaged.
  const check1 = p.uint32();
  const check2 = p.uint32();
  if (check1 !== check2) throw new ApprovalError('KEY_UNREADABLE', 'the key file is damaged (check bytes differ).');
  const type = p.text();
  if (type !== ED25519)
    throw new ApprovalError('KEY_UNSUPPORTED', `the key file holds a ${type} key; Cordon approvers use ssh-ed25519 keys.`);
  const pub = p.string();
  const secret = p.string();
  const comment = p.text();
  const padding = p.rest();
  if (!padding.equals(Buffer.from(padding.map((_, i) => i + 1))))
    throw new ApprovalError('KEY_UNREADABLE', 'the key file is damaged (bad padding).');
  // OpenSSH stores seed || public key; all three copies of the public key must agree.
  if (secret.length !== 64 || !pub.equals(publicKey.key) || !secret.subarray(32).equals(pub)) {
    throw new ApprovalError('KEY_UNREADABLE', 'the key file is damaged (its public and private parts do not match).');
  }
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: secret.subarray(0, 32).toString('base64url'), x: pub.toString('base64url') },
    format: 'jwk',
  });
  const derived = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url');
  if (!derived.equals(pub))
    throw new ApprovalError('KEY_UNREADABLE', 'the key file is damaged (its private key does not give its public key).');
  return { kind: 'ed25519', publicKey: { type: ED25519, key: pub }, privateKey, comment };
}

/** A new Ed25519 key: the private key file text (unencrypted openssh-key-v1) and the public key. */
export function generateKey(comment: string): { privateText: string; publicKey: SshPublicKey & { type: typeof ED25519 } } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d as string, 'base64url');
  const pub = Buffer.from(jwk.x as string, 'base64url');
  const publicBlob = Buffer.concat([sshString(ED25519), sshString(pub)]);
  const check = randomBytes(4);
  let section = Buffer.concat([
    check,
    check,
    sshString(ED25519),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const pad = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const blob = Buffer.concat([
    AUTH_MAGIC,
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(section),
  ]);
  seed.fill(0);
  return { privateText: armor(LABEL, blob), publicKey: { type: ED25519, key: pub } };
}
