/**
 * The approver's key as the CLI finds it: an unencrypted Ed25519 file is used in-process; an encrypted
 * or hardware key, or a .pub whose private half is in ssh-agent, signs through `ssh-keygen -Y sign`.
 */
import { readFileSync } from 'node:fs';
import { ApprovalError } from './errors';
import { parsePrivateKeyFile } from './openssh-private-key';
import { signWithSshKeygen } from './ssh-keygen-sign';
import { encodePublicKeyBlob, parsePublicKeyLine, type SshPublicKey } from './ssh-key';
import { signMessage } from './sshsig';

export interface ApproverKey {
  readonly publicKey: SshPublicKey;
  /** Wire blob, base64: what the mirror knows the approver by. */
  readonly publicKeyBase64: string;
  /** How signing will happen, for the user. */
  readonly via: 'key file' | 'ssh-keygen';
  /** Signs `text` in `namespace` (default: decisions, cordon-approval). */
  sign(text: string, namespace?: string): Promise<string>;
}

/** Loads the key at `path`; `forceSshKeygen` sends even a plain key file through ssh-keygen. */
export function loadApproverKey(path: string, options: { forceSshKeygen?: boolean; sshKeygen?: string } = {}): ApproverKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ApprovalError(
      'KEY_UNREADABLE',
      `cannot read the key file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); pass --key <file> or set CORDON_KEY, or create one with "cordon keygen".`,
      { cause: err },
    );
  }
  const viaSshKeygen = (publicKey: SshPublicKey): ApproverKey => ({
    publicKey,
    publicKeyBase64: encodePublicKeyBlob(publicKey).toString('base64'),
    via: 'ssh-keygen',
    sign: (message, namespace) => signWithSshKeygen(Buffer.from(message, 'utf8'), path, { sshKeygen: options.sshKeygen, namespace }),
  });
  if (/^\s*(ssh-|sk-)/.test(text)) return viaSshKeygen(parsePublicKeyLine(text.split('\n')[0]!));
  const parsed = parsePrivateKeyFile(text);
  if (parsed.kind === 'needs-ssh-keygen' || options.forceSshKeygen) return viaSshKeygen(parsed.publicKey);
  return {
    publicKey: parsed.publicKey,
    publicKeyBase64: encodePublicKeyBlob(parsed.publicKey).toString('base64'),
    via: 'key file',
    sign: async (message, namespace) => signMessage(Buffer.from(message, 'utf8'), parsed.privateKey, parsed.publicKey, namespace),
  };
}
