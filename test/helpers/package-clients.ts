/**
 * Runs the real pnpm, Yarn 4, Yarn 1 and Bun (installed as dev dependencies) in a temp project with their
 * own home, cache, store and config, so a test never reads or writes the user's caches or settings.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runProcess, type ProcessResult } from './run-process';

export type ClientName = 'pnpm' | 'yarn4' | 'yarn1' | 'bun';

const ROOT = resolve(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'node_modules');

/** The command line that starts a client from this repository's node_modules. */
function command(client: ClientName): [string, string[]] {
  switch (client) {
    case 'pnpm':
      return [join(BIN, 'pnpm', 'pnpm'), []];
    case 'yarn4':
      return [process.execPath, [join(BIN, '@yarnpkg', 'cli-dist', 'bin', 'yarn.js')]];
    case 'yarn1':
      // Both Yarns ship a `yarn` bin; node_modules/.bin/yarn is Yarn 4, so Yarn 1 is started by path.
      return [process.execPath, [join(BIN, 'yarn', 'bin', 'yarn.js')]];
    case 'bun':
      return [join(BIN, 'bun', 'bin', 'bun.exe'), []];
  }
}

/** One client in one temp project: `run` sees only this folder's home, caches and config. */
export class ClientProject {
  readonly dir: string;
  readonly project: string;
  private readonly home: string;
  private registry: string;

  constructor(
    readonly client: ClientName,
    registry: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `cordon-${client}-`));
    this.home = join(this.dir, 'home');
    this.project = join(this.dir, 'project');
    for (const d of [this.home, this.project, join(this.dir, 'tmp')]) mkdirSync(d, { recursive: true });
    this.registry = registry;
    this.reset();
  }

  /** Points the project at another registry (the lockfile stays). */
  useRegistry(registry: string): void {
    this.registry = registry;
    this.writeConfig();
  }

  /** A fresh project: package.json with `dependencies`, the client's config, no lockfile, no node_modules. */
  reset(dependencies: Record<string, string> = {}): void {
    rmSync(this.project, { recursive: true, force: true });
    mkdirSync(this.project, { recursive: true });
    writeFileSync(
      join(this.project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies }, null, 2),
    );
    // Yarn 4 takes the folder with a lockfile as the project root; without one it would look above.
    if (this.client === 'yarn4') writeFileSync(join(this.project, 'yarn.lock'), '');
    this.writeConfig();
  }

  private writeConfig(): void {
    const host = new URL(this.registry).hostname;
    writeFileSync(join(this.project, '.npmrc'), `registry=${this.registry}\n`);
    if (this.client === 'yarn4') {
      writeFileSync(
        join(this.project, '.yarnrc.yml'),
        [
          `npmRegistryServer: ${JSON.stringify(this.registry)}`,
          `unsafeHttpWhitelist: [${JSON.stringify(host)}]`,
          this.yarnIsolation(),
        ].join('\n'),
      );
    }
    if (this.client === 'yarn1') writeFileSync(join(this.project, '.yarnrc'), `registry "${this.registry}"\n`);
    if (this.client === 'bun') writeFileSync(join(this.project, 'bunfig.toml'), `[install]\nregistry = ${JSON.stringify(this.registry)}\n`);
  }

  /** `.yarnrc.yml` lines that keep Yarn 4's cache in this folder and install into node_modules. */
  yarnIsolation(): string {
    return [
      'nodeLinker: node-modules',
      'enableTelemetry: false',
      'enableGlobalCache: false',
      `cacheFolder: ${JSON.stringify(join(this.dir, 'yarn4-cache'))}`,
      '',
    ].join('\n');
  }

  /** Writes a file into the project (a config the test exports, a lockfile it edits). */
  write(path: string, text: string): void {
    writeFileSync(join(this.project, path), text);
  }

  read(path: string): string {
    return readFileSync(join(this.project, path), 'utf8');
  }

  has(path: string): boolean {
    return existsSync(join(this.project, path));
  }

  /** The environment: nothing from the user's but PATH; every home, cache and temp folder inside `dir`. */
  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    const d = this.dir;
    return {
      PATH: process.env.PATH,
      HOME: this.home,
      USERPROFILE: this.home,
      TMPDIR: join(d, 'tmp'),
      XDG_CONFIG_HOME: join(d, 'xdg-config'),
      XDG_CACHE_HOME: join(d, 'xdg-cache'),
      XDG_DATA_HOME: join(d, 'xdg-data'),
      XDG_STATE_HOME: join(d, 'xdg-state'),
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      npm_config_userconfig: join(d, 'npmrc-user'),
      npm_config_cache: join(d, 'npm-cache'),
      PNPM_HOME: join(d, 'pnpm-home'),
      YARN_CACHE_FOLDER: join(d, 'yarn-cache'),
      YARN_GLOBAL_FOLDER: join(d, 'yarn-global'),
      YARN_ENABLE_TELEMETRY: '0',
      YARN_ENABLE_PROGRESS_BARS: '0',
      YARN_IGNORE_PATH: '1',
      BUN_INSTALL: join(d, 'bun-install'),
      BUN_INSTALL_CACHE_DIR: join(d, 'bun-cache'),
      BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0',
      DO_NOT_TRACK: '1',
      ...extra,
    };
  }

  /** Extra arguments that keep a command's store and cache inside `dir`. */
  private isolation(): string[] {
    // pnpm keeps its store, cache and state under the XDG folders set in env().
    if (this.client === 'yarn1')
      return [
        '--cache-folder',
        join(this.dir, 'yarn-cache'),
        '--no-default-rc',
        '--use-yarnrc',
        join(this.project, '.yarnrc'),
        '--non-interactive',
      ];
    return [];
  }

  /** `<client> <args>` in the project folder. */
  run(args: string[], extraEnv: Record<string, string> = {}): Promise<ProcessResult> {
    const [cmd, prefix] = command(this.client);
    return runProcess(cmd, [...prefix, ...args, ...this.isolation()], { cwd: this.project, env: this.env(extraEnv), timeoutMs: 60_000 });
  }

  /** The version installed in node_modules, or undefined. */
  installed(name: string): string | undefined {
    try {
      return (JSON.parse(readFileSync(join(this.project, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return undefined;
    }
  }

  /** Removes node_modules (and the client's caches, so the next install asks the registry). */
  forgetInstall(): void {
    rmSync(join(this.project, 'node_modules'), { recursive: true, force: true });
    for (const entry of readdirSync(this.dir)) if (entry !== 'project') rmSync(join(this.dir, entry), { recursive: true, force: true });
    for (const d of [this.home, join(this.dir, 'tmp')]) mkdirSync(d, { recursive: true });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** stdout and stderr together, as a person at the terminal reads them. */
export function output(result: ProcessResult): string {
  return `${result.stdout}\n${result.stderr}`;
}
