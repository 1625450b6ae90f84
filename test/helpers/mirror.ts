/** Starts a real Cordon mirror (Verdaccio + plugins + SQLite) in this process against a fake upstream. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type CordonConfig } from '../../server/config';
import { ManualClock } from '../../server/clock';
import { silentLogger, type Logger } from '../../server/logger';
import { startMirror, type Mirror } from '../../server/mirror';
import { FakeUpstream } from './fake-upstream';
import { dataPaths, type Db, type Store } from '../../storage';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** The instant test mirrors start at unless told otherwise. */
export const NOW = Date.parse('2026-11-20T12:00:00Z');

export interface TestMirror {
  mirror: Mirror;
  upstream: FakeUpstream;
  clock: ManualClock;
  config: CordonConfig;
  dataDir: string;
  /** Stops the mirror (keeping the data folder unless `removeData`). */
  stop(removeData?: boolean): Promise<void>;
}

/** Settings for a test mirror: env-style overrides on top of a temp data folder and the fake upstream. */
export function testConfig(upstream: FakeUpstream, dataDir: string, env: Record<string, string> = {}): CordonConfig {
  return loadConfig(
    {
      CORDON_UPSTREAM: upstream.url,
      CORDON_DATA_DIR: dataDir,
      CORDON_PORT: '0',
      CORDON_COOLDOWN: '72h',
      CORDON_UPSTREAM_MAXAGE: '0',
      CORDON_LOG_LEVEL: 'fatal',
      CORDON_CONFIG: '',
      ...env,
    },
    dataDir,
  );
}

/** A mirror on a fresh data folder (or `dataDir`), with a clock at `now`. */
export async function startTestMirror(
  options: {
    upstream?: FakeUpstream;
    now?: number;
    env?: Record<string, string>;
    dataDir?: string;
    clock?: ManualClock;
    logger?: Logger;
  } = {},
): Promise<TestMirror> {
  const upstream = options.upstream ?? (await new FakeUpstream().start());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cordon-test-'));
  const clock = options.clock ?? new ManualClock(options.now ?? NOW);
  const config = testConfig(upstream, dataDir, options.env);
  const mirror = await startMirror(config, { clock, logger: options.logger ?? silentLogger });
  return {
    mirror,
    upstream,
    clock,
    config,
    dataDir,
    async stop(removeData = true) {
      await mirror.close();
      if (!options.upstream) await upstream.stop();
      if (removeData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The SQLite file inside a data folder. */
export function databaseFile(dataDir: string): string {
  return dataPaths(dataDir).store;
}

/**
 * The writer connection of a running SQLite store, for fault injection only (a test making the store
 * read-only under the mirror's feet). The application never sees it: it has only the ports.
 */
export function sqliteWriter(store: Store): Db {
  const writer = (store as unknown as { writer?: { db?: Db } }).writer?.db;
  if (!writer) throw new Error(`sqliteWriter: the store is not a SQLite store (backend ${store.backend})`);
  return writer;
}

/** The versions a packument served at `url` lists, sorted. */
export async function visibleVersions(url: string): Promise<string[]> {
  return Object.keys(((await (await fetch(url)).json()) as { versions: object }).versions).sort();
}
