/**
 * The backends the store contract runs against. Each `open()` gives a fresh, empty store of its own and
 * a `cleanup()` that closes it and removes everything it made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type Store } from '../../../storage';

export interface OpenedStore {
  readonly store: Store;
  cleanup(): Promise<void>;
}

export interface ContractBackend {
  readonly name: string;
  /** Why this backend cannot run here (its tests are then skipped, saying so); null when it can. */
  unavailable?(): Promise<string | null>;
  open(): Promise<OpenedStore>;
}

const sqlite: ContractBackend = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'cordon-contract-'));
    const store = openSqliteStore(dir, { busyTimeoutMs: 2000 });
    return {
      store,
      async cleanup() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** True once storage/postgres is part of the build. */
function hasPostgresBackend(): boolean {
  try {
    require.resolve('../../../storage/postgres');
    return true;
  } catch {
    return false;
  }
}

/** True when something accepts TCP connections at host:port. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * ── PostgreSQL: to be filled in by helper "pg" ──────────────────────────────────────────────────────
 * Runs when CORDON_TEST_DATABASE_URL is set (then a failure to connect fails the suite), or when
 * PostgreSQL answers on 127.0.0.1:5432; skipped, saying why, otherwise. `open()` must give each store its
 * own database or schema, dropped by `cleanup()`. Left out entirely while storage/postgres does not exist.
 */
function postgresBackends(): ContractBackend[] {
  if (!hasPostgresBackend()) return [];
  const url = process.env.CORDON_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  return [
    {
      name: 'postgres',
      async unavailable() {
        if (process.env.CORDON_TEST_DATABASE_URL) return null;
        return (await listening('127.0.0.1', 5432)) ? null : 'PostgreSQL does not answer on 127.0.0.1:5432; start it, or set CORDON_TEST_DATABASE_URL';
      },
      async open() {
        // TODO(pg): create a fresh schema or database on `url`, open the store on it, drop it in cleanup().
        throw new Error(`the PostgreSQL contract backend is not written yet (would use ${url.replace(/:[^:@/]*@/, ':***@')})`);
      },
    },
  ];
}

/** Every backend the contract runs on in this environment. */
export const backends: readonly ContractBackend[] = [sqlite, ...postgresBackends()];
