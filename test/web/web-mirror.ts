/**
 * A test mirror for the browser suite: a fixed free port so `publicUrl` can be http://localhost:PORT/
 * (a passkey's relying party must be a host name), approvers in a cordon.yaml that a restart can change,
 * and the approvers' SSH keys on disk for the real CLI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ManualClock } from '../../server/clock';
import { startTestMirror, NOW, type TestMirror } from '../helpers/mirror';
import { FakeUpstream } from '../helpers/fake-upstream';
import { testApprover, type TestApprover } from '../approvals/keys';
import { cordon, type CliResult } from '../approvals/approval-mirror';

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface KeyedApprover extends TestApprover {
  /** Path of the private key file. */
  readonly keyFile: string;
}

/** Approvers with their key files written to `dir`. */
export function keyedApprovers(dir: string, names: readonly string[]): KeyedApprover[] {
  return names.map((name) => {
    const a = testApprover(name);
    const keyFile = join(dir, `${name}_ed25519`);
    writeFileSync(keyFile, a.privateText, { mode: 0o600 });
    return { ...a, keyFile };
  });
}

/** A web test mirror that can be restarted on the same port, data folder and clock with other approvers. */
export class WebMirror {
  readonly dir = mkdtempSync(join(tmpdir(), 'cordon-web-'));
  readonly dataDir = join(this.dir, 'data');
  readonly clock = new ManualClock(NOW);
  upstream!: FakeUpstream;
  m!: TestMirror;
  port = 0;
  private running = false;

  get url(): string {
    return `http://localhost:${this.port}/`;
  }

  async start(approvers: readonly TestApprover[], extra: Record<string, unknown> = {}): Promise<this> {
    this.upstream ??= await new FakeUpstream().start();
    this.port ||= await freePort();
    const file = join(this.dir, 'cordon.yaml');
    writeFileSync(file, stringify({ approvers: approvers.map((a) => ({ name: a.approver.name, key: a.approver.line })), ...extra }));
    this.m = await startTestMirror({
      upstream: this.upstream,
      dataDir: this.dataDir,
      clock: this.clock,
      env: { CORDON_CONFIG: file, CORDON_PORT: String(this.port), CORDON_PUBLIC_URL: this.url },
    });
    this.running = true;
    return this;
  }

  /** Asks for a packument (first sight) and waits for every analysis. */
  async sight(name: string): Promise<void> {
    await (await fetch(`${this.m.mirror.url}${name.replace('/', '%2f')}`)).arrayBuffer();
    await this.m.mirror.pipeline.drain();
  }

  /** `cordon …` against this mirror. */
  cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return cordon([...args, '--registry', this.m.mirror.url], env);
  }

  async stop(): Promise<void> {
    if (this.running) await this.m.stop(false);
    this.running = false;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.upstream?.stop();
  }
}
