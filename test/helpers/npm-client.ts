/** Runs the real npm CLI against a registry with its own userconfig, cache and project folder. */
import { runProcess, type ProcessResult } from './run-process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type NpmResult = ProcessResult;

export class NpmClient {
  readonly dir: string;
  private readonly userconfig: string;
  private readonly cache: string;

  constructor(private readonly registry: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'cordon-npm-'));
    this.userconfig = join(this.dir, '.npmrc-user');
    this.cache = join(this.dir, '.npm-cache');
    writeFileSync(this.userconfig, `registry=${registry}\n`);
    writeFileSync(join(this.dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  }

  /** `npm <args>` in the project folder; never touches ~/.npmrc or the user's cache. */
  run(args: string[]): Promise<NpmResult> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: this.dir,
      npm_config_userconfig: this.userconfig,
      npm_config_cache: this.cache,
      npm_config_registry: this.registry,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      npm_config_fetch_retries: '0',
    };
    return runProcess(
      'npm',
      [...args, '--userconfig', this.userconfig, '--cache', this.cache, '--registry', this.registry, '--no-audit', '--no-fund'],
      { cwd: this.dir, env },
    );
  }

  /** The version installed in node_modules, or undefined. */
  installed(name: string): string | undefined {
    try {
      return (JSON.parse(readFileSync(join(this.dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return undefined;
    }
  }

  /** Forgets node_modules, the lockfile and the dependency list, keeping the folder. */
  reset(): void {
    rmSync(join(this.dir, 'node_modules'), { recursive: true, force: true });
    rmSync(join(this.dir, 'package-lock.json'), { force: true });
    writeFileSync(join(this.dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
