/** Test approvers: an Ed25519 key made in the test, its config entry and a signer. */
import type { Approver } from '../../server/config';
import { generateKey, parsePrivateKeyFile } from '../../server/approvals/openssh-private-key';
import { encodePublicKeyBlob, publicKeyLine } from '../../server/approvals/ssh-key';
import { signMessage } from '../../server/approvals/sshsig';

export interface TestApprover {
  readonly approver: Approver;
  /** The private key file text (for CLI tests that write it to disk). */
  readonly privateText: string;
  sign(text: string, namespace?: string): string;
}

export function testApprover(name: string): TestApprover {
  const { privateText, publicKey } = generateKey(`${name}@test`);
  const parsed = parsePrivateKeyFile(privateText);
  if (parsed.kind !== 'ed25519') throw new Error('unreachable');
  const line = publicKeyLine(publicKey, `${name}@test`);
  return {
    approver: { name, keyType: 'ssh-ed25519', publicKey: encodePublicKeyBlob(publicKey).toString('base64'), line },
    privateText,
    sign: (text, namespace) => signMessage(Buffer.from(text, 'utf8'), parsed.privateKey, parsed.publicKey, namespace),
  };
}
