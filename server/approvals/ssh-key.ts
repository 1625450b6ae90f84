/** OpenSSH Ed25519 public keys (plain and FIDO `sk-`): wire blob, config line, fingerprint, node KeyObject. */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { ApprovalError, type ApprovalErrorCode } from './errors';
import { sshString, WireReader } from './ssh-wire';

export const ED25519 = 'ssh-ed25519';
export const SK_ED25519 = 'sk-ssh-ed25519@openssh.com';

/** An approver's public key as OpenSSH encodes it. */
export type SshPublicKey =
  | { readonly type: typeof ED25519; readonly key: Buffer }
  | { readonly type: typeof SK_ED25519; readonly key: Buffer; readonly application: string };

/** Parses an SSH wire-format public key blob; only the two Ed25519 forms are accepted. */
export function parsePublicKeyBlob(blob: Buffer, code: ApprovalErrorCode = 'KEY_UNSUPPORTED'): SshPublicKey {
  const r = new WireReader(blob, code, 'the public key');
  const type = r.text();
  if (type !== ED25519 && type !== SK_ED25519)
    throw new ApprovalError(code, `keys of type ${JSON.stringify(type)} are not supported; use ssh-ed25519 or sk-ssh-ed25519@openssh.com.`);
  const key = r.string();
  if (key.length !== 32) throw new ApprovalError(code, 'the Ed25519 public key is not 32 bytes.');
  if (type === ED25519) {
    r.end();
    return { type, key };
  }
  const application = r.text();
  r.end();
  return { type, key, application };
}

/** The wire blob of a public key. */
export function encodePublicKeyBlob(k: SshPublicKey): Buffer {
  return k.type === ED25519
    ? Buffer.concat([sshString(k.type), sshString(k.key)])
    : Buffer.concat([sshString(k.type), sshString(k.key), sshString(k.application)]);
}

/** `ssh-ed25519 AAAA… comment`, as in a .pub file or the config. */
export function publicKeyLine(k: SshPublicKey, comment = ''): string {
  return `${k.type} ${encodePublicKeyBlob(k).toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** Parses a `.pub` line; the type before the blob must match the blob's own. */
export function parsePublicKeyLine(line: string): SshPublicKey {
  const [type, b64] = line.trim().split(/\s+/);
  if (!type || !b64) throw new ApprovalError('KEY_UNREADABLE', 'the public key line is not "<type> <base64> [comment]".');
  const key = parsePublicKeyBlob(Buffer.from(b64, 'base64'));
  if (key.type !== type) throw new ApprovalError('KEY_UNREADABLE', `the public key line says ${type} but holds a ${key.type} key.`);
  return key;
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** A node KeyObject for a raw 32-byte Ed25519 public key. */
export function ed25519KeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}
