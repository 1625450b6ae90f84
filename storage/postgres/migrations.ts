/**
 * Numbered PostgreSQL migrations, applied in order at start-up, each once: under a session advisory
 * lock, so two mirrors starting together apply each migration once (the second waits, then finds it
 * applied). A database with a migration newer than this code knows is refused. Never edit one that
 * has shipped; add the next.
 */
import type pg from 'pg';
import { StorageError } from '../database';
import { failClosed, LOCK_MIGRATE } from './connection';
import { pgMigrations, type PgMigration } from './schema';

export { pgMigrations, type PgMigration };

/** Applies every pending migration of `list`; throws STORE_TOO_NEW (changing nothing) on a newer database. */
export async function migrate(pool: pg.Pool, where: string, list: readonly PgMigration[] = pgMigrations): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    return failClosed(err, 'connecting to migrate');
  }
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_MIGRATE]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const applied = new Set((await client.query<{ id: number }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
      const newest = list.length ? list[list.length - 1]!.id : 0;
      const unknown = [...applied].filter((id) => id > newest);
      if (unknown.length) {
        throw new StorageError(
          'STORE_TOO_NEW',
          `The PostgreSQL database ${where} has schema migration ${Math.max(...unknown)}, newer than this Cordon knows (${newest}). Run the newer Cordon, or restore a backup.`,
        );
      }
      for (const migration of list) {
        if (applied.has(migration.id)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [
            migration.id,
            migration.name,
            Date.now(),
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_MIGRATE]).catch(() => {
        broken = true;
      });
    }
  } catch (err) {
    broken = true;
    return failClosed(err, 'migrating the schema');
  } finally {
    // A session lock dies with its connection: a broken client is destroyed, never reused holding it.
    client.release(broken || undefined);
  }
}

/** A short name of the database for messages (never its password). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return '(the configured database)';
  }
}
