/**
 * The backends the store contract runs against. Each `open()` gives a fresh, empty store of its own and
 * a `cleanup()` that closes it and removes everything it made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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

/**
 * PostgreSQL: each `open()` gets its own database (`cordon_test_<random>`) on the PostgreSQL of the test
 * machine (127.0.0.1:5432, or CORDON_TEST_DATABASE_URL), dropped by `cleanup()`. It always runs: the
 * test runner checks first that PostgreSQL answers and says what to start if not.
 */
const postgres: ContractBackend = {
  name: 'postgres',
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
