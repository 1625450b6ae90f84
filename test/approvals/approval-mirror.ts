/** A real test mirror with approvers and quorum in its cordon.yaml, and the CLI run as a child process. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { NOW, startTestMirror, type TestMirror } from '../helpers/mirror';
import { runProcess, type ProcessResult } from '../helpers/run-process';
import type { TestApprover } from './keys';

export { NOW, HOUR, DAY } from '../helpers/mirror';

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

export type CliResult = ProcessResult;

/** `cordon <args>` as a user runs it, with only PATH, HOME and `env` set. */
export function cordon(args: string[], env: Record<string, string> = {}, cwd = tmpdir()): Promise<CliResult> {
  return runProcess(process.execPath, [bin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin', HOME: env.HOME ?? '/nonexistent', ...env },
    timeoutMs: 60_000,
  });
}
