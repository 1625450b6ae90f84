/** `cordon keygen`: a new Ed25519 key in OpenSSH format, and the line to add to cordon.yaml. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKey } from '../approvals/openssh-private-key';
import { publicKeyLine, fingerprint, encodePublicKeyBlob } from '../approvals/ssh-key';
import { EXIT, reportError, UsageError } from './error-text';

const USAGE = `usage: cordon keygen [--file PATH] [--name NAME]

  --file PATH   where to write the private key (default ~/.ssh/cordon_ed25519); the public key goes to PATH.pub
  --name NAME   your approver name in cordon.yaml (default: your login name)

The private key is written unencrypted with mode 0600. To protect it with a passphrase run
"ssh-keygen -p -f PATH" afterwards; cordon approve then signs through ssh-keygen.
`;

export async function keygenCommand(argv: string[]): Promise<number> {
  try {
    let values: { file?: string; name?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { file: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
      }));
    } catch (err) {
      throw new UsageError('USAGE', (err as Error).message);
    }
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    const name = values.name ?? userInfo().username;
    if (!name.trim() || /[\r\n]/.test(name)) throw new UsageError('USAGE', '--name must be one line of text');
    const path = resolve(values.file ?? join(homedir(), '.ssh', 'cordon_ed25519'));
    for (const p of [path, `${path}.pub`]) {
      if (existsSync(p))
        throw new UsageError('USAGE', `${p} already exists and is left untouched; choose another --file, or move it away first`);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const comment = `${name}@${hostname()}`;
    const { privateText, publicKey } = generateKey(comment);
    // 'wx' with the mode: created 0600 and never over an existing file, so it is never readable by others.
    writeFileSync(path, privateText, { mode: 0o600, flag: 'wx' });
    const line = publicKeyLine(publicKey, comment);
    writeFileSync(`${path}.pub`, `${line}\n`, { mode: 0o644, flag: 'wx' });
    process.stdout.write(
      `Wrote a new Ed25519 key: ${path} (private, mode 0600) and ${path}.pub.\n` +
        `Fingerprint: ${fingerprint(encodePublicKeyBlob(publicKey))}\n\n` +
        `Ask the mirror's operator to add you under approvers in cordon.yaml:\n\n` +
        `approvers:\n  - name: ${JSON.stringify(name)}\n    key: ${JSON.stringify(line)}\n\n` +
        `Then sign with: cordon approve <pkg@version> --key ${path}\n`,
    );
    return EXIT.ok;
  } catch (err) {
    return reportError('keygen', err, USAGE);
  }
}
