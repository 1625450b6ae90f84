/**
 * Signing through the user's own `ssh-keygen -Y sign`: for passphrase-protected keys, FIDO hardware
 * keys and keys held by ssh-agent, the private key never leaves where it is.
 */
import { spawn } from 'node:child_process';
import { ApprovalError } from './errors';
import { NAMESPACE } from './sshsig';

/**
 * Signs `message` with the key at `keyPath` (a private key file, or a .pub whose private half is in
 * ssh-agent). ssh-keygen talks to the user on the terminal (passphrase, "touch your key"), so its
 * stderr is passed through; the signature comes back on stdout.
 */
export function signWithSshKeygen(
  message: Buffer,
  keyPath: string,
  options: { sshKeygen?: string; stderr?: 'inherit' | 'pipe'; namespace?: string } = {},
): Promise<string> {
  const bin = options.sshKeygen ?? 'ssh-keygen';
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-q', '-Y', 'sign', '-f', keyPath, '-n', options.namespace ?? NAMESPACE], {
      stdio: ['pipe', 'pipe', options.stderr ?? 'inherit'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        new ApprovalError(
          'SSH_KEYGEN_FAILED',
          e.code === 'ENOENT'
            ? `${bin} was not found; install OpenSSH 8.2 or newer, or sign with an unencrypted key file.`
            : `could not run ${bin}: ${e.message}`,
          { cause: e },
        ),
      );
    });
    child.on('close', (code) => {
      if (code === 0 && out.includes('-----BEGIN SSH SIGNATURE-----')) return resolve(out);
      // ssh-keygen's own message names the problem (wrong passphrase, no token); it holds no key material.
      const detail = err.trim().split('\n').pop() ?? '';
      reject(
        new ApprovalError(
          'SSH_KEYGEN_FAILED',
          `ssh-keygen -Y sign failed (exit ${code})${detail ? `: ${detail}` : ''}. Check the key path, its passphrase, or that the hardware key is plugged in.`,
        ),
      );
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(message);
  });
}
