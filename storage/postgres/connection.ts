/**
 * The PostgreSQL connection: one pool per store, faults turned into StorageError STORE_UNAVAILABLE (so
 * callers fail closed as with an unreadable SQLite file), and write transactions that take one advisory
 * lock up front, so writes of every mirror are serialised exactly like SQLite's single writer.
 */
import pg from 'pg';
import { StorageError } from '../database';
import { isPostgresUnavailable } from './unavailable';

export { isPostgresUnavailable };

/** One statement against the pool or a transaction's client; rows come back typed by the caller. */
export interface Sql {
  rows<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  one<R>(text: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** Runs a write; answers the number of rows it changed. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
}

/**
 * Advisory lock keys (pg_advisory_*lock take a bigint). WRITE: held by every write transaction, from
 * its first statement to its commit: one writer at a time across all mirrors, which is what makes the
 * audit chain linear and `atomically` serialisable. MIGRATE: held while migrations run.
 */
export const LOCK_WRITE = 0x636f7264_01; // 'cord' 01
export const LOCK_MIGRATE = 0x636f7264_02;

/** `pg` hands bigint (int8) columns back as strings; every int8 Cordon stores is an epoch ms or a count, safe as a number. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Longest a statement may wait for PostgreSQL's answer before the store counts as unavailable (a backup's FETCH of 1,000 rows included). */
export const QUERY_TIMEOUT_MS = 30_000;

/** Connection settings the pool and the listener share. */
export function clientConfig(url: string, connectTimeoutMs: number): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    types,
    application_name: 'cordon',
    // A database that vanished without closing the connection (a partition, a dead host) is noticed in
    // seconds, not after the system's two-hour keepalive: TCP probes start after 5 s idle, and no
    // statement waits longer than QUERY_TIMEOUT_MS for its answer.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
    query_timeout: QUERY_TIMEOUT_MS,
  };
}

export function createPool(url: string, connectTimeoutMs: number, max = 10): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(url, connectTimeoutMs), max, idleTimeoutMillis: 30_000 });
  // An idle client whose server went away emits here; without a listener that would crash the process.
  // The pool drops it and connects afresh for the next query: it reconnects on its own.
  pool.on('error', () => undefined);
  return pool;
}

/** Rethrows a connection fault as STORE_UNAVAILABLE (the original kept as cause); anything else as it is. */
export function failClosed(err: unknown, what: string): never {
  if (err instanceof StorageError) throw err;
  if (isPostgresUnavailable(err)) {
    throw new StorageError(
      'STORE_UNAVAILABLE',
      `The PostgreSQL store cannot be reached or used right now (${(err as Error).message || (err as { code?: string }).code}) while ${what}; nothing was changed. Cordon serves only what it knows to be released until it answers again; check that PostgreSQL runs and CORDON_DATABASE_URL points at it.`,
      { cause: err },
    );
  }
  throw err;
}

/** An `Sql` over a pool (each statement on any free connection) or one client (a transaction). */
export function sqlOn(target: pg.Pool | pg.PoolClient): Sql {
  const query = async (text: string, params?: readonly unknown[]): Promise<pg.QueryResult> => {
    try {
      return await target.query(text, params as unknown[] | undefined);
    } catch (err) {
      return failClosed(err, 'running a statement');
    }
  };
  return {
    rows: async <R>(text: string, params?: readonly unknown[]) => (await query(text, params)).rows as R[],
    one: async <R>(text: string, params?: readonly unknown[]) => (await query(text, params)).rows[0] as R | undefined,
    run: async (text: string, params?: readonly unknown[]) => (await query(text, params)).rowCount ?? 0,
  };
}

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const ATTEMPTS = 5;

export interface TxOptions {
  /** How long to wait for the write lock (another mirror's write) before failing closed. */
  readonly lockTimeoutMs: number;
  /** Take the write lock (every write does; a read-only snapshot such as a backup does not). */
  readonly lock?: boolean;
  readonly isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
  readonly readOnly?: boolean;
}

/**
 * Runs `fn` in one transaction on one pooled client: BEGIN, the write lock (the next statement's
 * snapshot then sees every earlier write, and no other writer can start until COMMIT), `fn`, COMMIT.
 * Rolls back when `fn` throws; runs again on a serialisation failure or deadlock (a few times).
 */
export async function transaction<T>(pool: pg.Pool, options: TxOptions, fn: (sql: Sql, client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      return failClosed(err, 'connecting');
    }
    let broken: unknown = null;
    try {
      const modes = [`ISOLATION LEVEL ${options.isolation ?? 'READ COMMITTED'}`, options.readOnly ? 'READ ONLY' : 'READ WRITE'].join(' ');
      // One round trip for all three (numbers only are interpolated, so the simple protocol is safe here).
      const lock =
        options.lock === false
          ? ''
          : `; SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs))}; SELECT pg_advisory_xact_lock(${LOCK_WRITE})`;
      await client.query(`BEGIN ${modes}${lock}`);
      const result = await fn(sqlOn(client), client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = err;
      try {
        await client.query('ROLLBACK');
        broken = null;
      } catch {
        // The connection is gone; it is released as broken below.
      }
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && RETRYABLE.has(code) && attempt < ATTEMPTS) continue;
      return failClosed(err, 'writing');
    } finally {
      // A client whose rollback failed is destroyed, not handed to the next caller mid-transaction.
      client.release(broken === null ? undefined : true);
    }
  }
}
