/**
 * The backends the store contract runs against. Each `open()` gives a fresh, empty store of its own and
 * a `cleanup()` that closes it and removes everything it made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type Store } from '../../../storage';

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

/** True once storage/postgres is part of the build. */
function hasPostgresBackend(): boolean {
  try {
    require.resolve('../../../storage/postgres');
    return true;
  } catch {
    return false;
  }
}

/**
 * ── PostgreSQL: to be filled in by helper "pg" ──────────────────────────────────────────────────────
 * Include it when CORDON_TEST_DATABASE_URL is set (then a failure to connect fails the suite), or when
 * PostgreSQL answers on 127.0.0.1:5432; each `open()` gets its own database or schema, dropped by
 * `cleanup()`. Left out while storage/postgres does not exist.
 */
function postgresBackends(): ContractBackend[] {
  if (!hasPostgresBackend()) return [];
  return [];
}

/** Every backend the contract runs on in this environment. */
export const backends: readonly ContractBackend[] = [sqlite, ...postgresBackends()];
