/** A real test mirror with approvers and quorum in its cordon.yaml, and the CLI run as a child process. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { startTestMirror, type TestMirror } from '../helpers/mirror';
import type { TestApprover } from './keys';

export const NOW = Date.parse('2026-11-20T12:00:00Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Starts a mirror whose cordon.yaml lists `approvers` (and any other file keys in `extra`). */
export async function startApprovalMirror(approvers: readonly TestApprover[], extra: Record<string, unknown> = {}): Promise<TestMirror> {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-approval-config-'));
  const file = join(dir, 'cordon.yaml');
  writeFileSync(file, stringify({ approvers: approvers.map((a) => ({ name: a.approver.name, key: a.approver.line })), ...extra }));
  return startTestMirror({ now: NOW, env: { CORDON_CONFIG: file } });
}

/** Asks the mirror for a packument (first sight of its versions) and waits for every analysis to finish. */
export async function sightAndAnalyse(m: TestMirror, name: string): Promise<void> {
  const res = await fetch(`${m.mirror.url}${name.replace('/', '%2f')}`);
  await res.arrayBuffer();
  await m.mirror.pipeline.drain();
}

const bin = join(__dirname, '..', '..', '..', 'bin', 'cordon.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `cordon <args>` as a user runs it, with only PATH, HOME and `env` set. */
export function cordon(args: string[], env: Record<string, string> = {}, cwd = tmpdir()): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin', HOME: env.HOME ?? '/nonexistent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
