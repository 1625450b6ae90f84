/** Opens Cordon's SQLite file: WAL mode, foreign keys, and every pending migration applied in one transaction each. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CordonError } from '../server/errors';
import { migrations, type Migration } from './migrations';
import { isPostgresFault } from './postgres/unavailable';

export type Db = Database.Database;

/**
 * STORE_UNAVAILABLE: cannot be used right now (callers fail closed); STORE_TOO_NEW: a newer schema;
 * STORE_NESTED_WRITE: a write through the store from inside its own `atomically` (it would wait for
 * itself); STORE_BACKEND_MISSING: `CORDON_DATABASE_URL` names no backend Cordon has (not postgres://).
 */
export type StorageErrorCode = 'STORE_UNAVAILABLE' | 'STORE_TOO_NEW' | 'STORE_NESTED_WRITE' | 'STORE_BACKEND_MISSING';

/** The database cannot be opened or used, or is of a newer schema than this code knows. */
export class StorageError extends CordonError<StorageErrorCode> {}

/**
 * True when `err` is SQLite saying the store cannot be used right now: locked or busy (another process
 * holds a write lock: a sqlite3 shell, VACUUM, a backup tool), read-only, full, or failing I/O, or a
 * StorageError STORE_UNAVAILABLE (a closed store, or a backend's own connection fault). Callers on
 * request paths fail closed on it; background loops back off.
 */
export function isStoreUnavailable(err: unknown): boolean {
  // A backend that wraps its own faults (a closed store, a lost PostgreSQL connection) says so with this code.
  if (err instanceof StorageError) return err.code === 'STORE_UNAVAILABLE';
  // PostgreSQL's own faults (lost connection, 57P01, 08xxx, …), should one reach a caller unwrapped.
  if (isPostgresFault(err)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN|PROTOCOL)/.test(code);
}

/** Opens (creating if needed) the database at `file` (`:memory:` for tests) and migrates it. */
export function openDatabase(file: string, list: readonly Migration[] = migrations): Db {
  let db: Db;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
  } catch (err) {
    throw new StorageError(
      'STORE_UNAVAILABLE',
      `Cannot open the Cordon database ${file}: ${(err as Error).message}. Check that the data folder exists and is writable.`,
      { cause: err },
    );
  }
  db.pragma('journal_mode = WAL');
  // Every commit reaches the disk before it is acknowledged: the data folder's identity records the audit
  // head after each write, and must never be ahead of what survives a power loss.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id));
  const newest = list.length ? list[list.length - 1]!.id : 0;
  const unknown = [...applied].filter((id) => id > newest);
  if (unknown.length) {
    db.close();
    throw new StorageError(
      'STORE_TOO_NEW',
      `The database ${file} has schema migration ${Math.max(...unknown)}, newer than this Cordon knows (${newest}). Run the newer Cordon, or restore a backup.`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of list) {
    if (applied.has(migration.id)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      migration.run?.(db);
      record.run(migration.id, migration.name, Date.now());
    })();
  }
  return db;
}
