/** Runs the real /usr/bin/ssh-keygen for interoperability tests. */
import { spawnSync } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `ssh-keygen <args>` with `input` on stdin; never reads the user's ~/.ssh (HOME is the temp dir). */
export function sshKeygen(args: string[], input: Buffer | string = '', home = '/nonexistent'): ToolResult {
  const r = spawnSync('ssh-keygen', args, { input, env: { PATH: process.env.PATH ?? '/usr/bin', HOME: home }, timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}
