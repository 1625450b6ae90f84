/**
 * The backends the store contract runs against. Each `open()` gives a fresh, empty store of its own and
 * a `cleanup()` that closes it and removes everything it made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type Store } from '../../../storage';
import { openPostgresStore } from '../../../storage/postgres';
import { createTestDatabase } from '../../helpers/postgres';

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
 * PostgreSQL: each `open()` gets its own database (`cordon_test_<random>`) on the PostgreSQL of the test
 * machine (CORDON_TEST_DATABASE_URL, else 127.0.0.1:5432), dropped by `cleanup()`. `npm test` refuses to
 * start without it (scripts/run-tests.js says what to start); a run of chosen files skips it, saying why.
 */
const postgres: ContractBackend = {
  name: 'postgres',
  async unavailable() {
    if (process.env.CORDON_TEST_DATABASE_URL) return null;
    return (await listening('127.0.0.1', 5432))
      ? null
      : 'PostgreSQL does not answer on 127.0.0.1:5432; start it (Debian: pg_ctlcluster 15 main start), or set CORDON_TEST_DATABASE_URL';
  },
  async open() {
    const db = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'cordon-contract-pg-'));
    let store: Store;
    try {
      store = await openPostgresStore({ databaseUrl: db.url, dataDir: dir, storeBusyTimeoutMs: 2000 });
    } catch (err) {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      store,
      async cleanup() {
        await store.close();
        await db.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Every backend the contract runs on in this environment. */
export const backends: readonly ContractBackend[] = [sqlite, postgres];
