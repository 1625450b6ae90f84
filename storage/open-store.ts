/**
 * Chooses the store's backend: SQLite in the data folder by default (`npm ci && npm start` with nothing
 * else running), PostgreSQL when `CORDON_DATABASE_URL` names one, so several mirrors share one truth.
 */
import { StorageError } from './database';
import type { Store } from './ports';
import { openSqliteStore } from './sqlite';

/** The settings the backends read (a CordonConfig has them all). */
export interface StoreSettings {
  readonly dataDir: string;
  readonly storeBusyTimeoutMs: number;
  /** `postgres://…` or `postgresql://…`; null keeps the SQLite file in `dataDir`. */
  readonly databaseUrl: string | null;
}

/** True when `url` names a PostgreSQL database. */
export function isPostgresUrl(url: string | null): boolean {
  return url !== null && /^postgres(ql)?:\/\//i.test(url);
}

/** Opens the configured store; it is the caller's to close. */
export async function openStore(config: StoreSettings): Promise<Store> {
  if (isPostgresUrl(config.databaseUrl)) {
    // Loaded only when asked for, so the SQLite default never loads `pg`.
    const { openPostgresStore } = require('./postgres') as typeof import('./postgres');
    return openPostgresStore(config);
  }
  if (config.databaseUrl !== null) {
    throw new StorageError(
      'STORE_BACKEND_MISSING',
      `CORDON_DATABASE_URL must be a postgres:// or postgresql:// URL, or unset for the SQLite store in the data folder; got a ${config.databaseUrl.split(':')[0]}: URL.`,
    );
  }
  return openSqliteStore(config.dataDir, { busyTimeoutMs: config.storeBusyTimeoutMs });
}
