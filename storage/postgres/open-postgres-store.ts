/**
 * The PostgreSQL backend of the store, for several mirrors sharing one truth. Reads go to the pool
 * (committed data); every write, and every `atomically`, is one transaction that first takes the
 * store-wide advisory write lock, so writes of all mirrors are serialised as SQLite's single writer is:
 * the audit chain stays linear and what a transaction read cannot change before it writes. Within a
 * mirror, writes also queue in memory, so waiting writes hold no connection. The change feed listens
 * for other mirrors' commits. A lost PostgreSQL makes every method reject with STORE_UNAVAILABLE; the
 * pool and the listener reconnect on their own.
 */
import type pg from 'pg';
import { StorageError } from '../database';
import { claimDataFolder } from '../backup';
import type { BackupSummary } from '../backup';
import type { DataIdentity } from '../data-folder';
import type { Store, StorePorts } from '../ports';
import { WriteLock } from '../sqlite/write-lock';
import type { Access } from './access';
import { createPool, failClosed, sqlOn, transaction, type Sql } from './connection';
import { describeUrl, migrate } from './migrations';
import { checkIdentity, PgIdentityKeeper } from './identity';
import { PgChangeFeed } from './change-feed';
import { writeBackup } from './backup';
import { versionPort } from './versions';
import { analysisPort } from './analyses';
import { jobPort } from './jobs';
import { approvalPort } from './approvals';
import { auditPort } from './audit';
import { passkeyPort } from './passkeys';
import { notificationPort } from './notifications';
import { opsPort, refusalPort, withdrawalPort } from './small-ports';
import { assertScopeOpen, closedError, refusal, runInScope, type TxScope } from '../tx-scope';

/** What the PostgreSQL backend reads (a CordonConfig has them all). */
export interface PostgresStoreSettings {
  readonly databaseUrl: string | null;
  /** This mirror's own data folder (verified tarball bytes, and its identity file). */
  readonly dataDir: string;
  /** How long the readiness probe waits for the write lock; 250 ms by default. */
  readonly storeBusyTimeoutMs?: number;
  /** How long a write waits for another mirror's write before failing closed; 5 s by default. */
  readonly storeLockTimeoutMs?: number;
  /** How long connecting may take before the store counts as unavailable; 3 s by default. */
  readonly storeConnectTimeoutMs?: number;
  /** Connections in the pool; 10 by default. */
  readonly storePoolSize?: number;
  /** How often the identity file catches up with the audit head; 1 s by default. */
  readonly identitySyncMs?: number;
}

/**
 * Connects, applies pending migrations (once across mirrors), checks this data folder's identity
 * against the store (a foreign, lost or rolled-back store is refused with a DataFolderError) and
 * starts listening for changes.
 */
export async function openPostgresStore(config: PostgresStoreSettings): Promise<Store> {
  const url = config.databaseUrl;
  if (!url) throw new StorageError('STORE_UNAVAILABLE', 'openPostgresStore needs databaseUrl (CORDON_DATABASE_URL=postgres://…).');
  const where = describeUrl(url);
  const connectTimeoutMs = config.storeConnectTimeoutMs ?? 3_000;
  const claim = claimDataFolder(config.dataDir);
  const pool = createPool(url, connectTimeoutMs, config.storePoolSize ?? 10);
  const feed = new PgChangeFeed(url, connectTimeoutMs);
  feed.watch(pool);
  try {
    await migrate(pool, where);
    const identity = await checkIdentity(sqlOn(pool), config.dataDir, where, Date.now());
    await feed.start().catch((err: unknown) => failClosed(err, 'listening for changes'));
    return new PostgresStore(pool, feed, new PgIdentityKeeper(config.dataDir, identity), claim, {
      busyTimeoutMs: config.storeBusyTimeoutMs ?? 250,
      lockTimeoutMs: config.storeLockTimeoutMs ?? 5_000,
      identitySyncMs: config.identitySyncMs ?? 1_000,
    });
  } catch (err) {
    await feed.stop();
    await pool.end().catch(() => undefined);
    claim.release();
    throw err;
  }
}

class PostgresStore implements Store {
  readonly backend = 'postgres' as const;
  readonly versions: StorePorts['versions'];
  readonly analyses: StorePorts['analyses'];
  readonly jobs: StorePorts['jobs'];
  readonly approvals: StorePorts['approvals'];
  readonly audit: StorePorts['audit'];
  readonly passkeys: StorePorts['passkeys'];
  readonly notifications: StorePorts['notifications'];
  readonly refusals: StorePorts['refusals'];
  readonly withdrawals: StorePorts['withdrawals'];
  readonly ops: StorePorts['ops'];

  private readonly lock = new WriteLock();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    readonly changes: PgChangeFeed,
    private readonly keeper: PgIdentityKeeper,
    private readonly claim: { release(): void },
    private readonly options: { busyTimeoutMs: number; lockTimeoutMs: number; identitySyncMs: number },
  ) {
    const ports = this.portsOf(this.storeAccess());
    this.versions = ports.versions;
    this.analyses = ports.analyses;
    this.jobs = ports.jobs;
    this.approvals = ports.approvals;
    this.audit = ports.audit;
    this.passkeys = ports.passkeys;
    this.notifications = ports.notifications;
    this.refusals = ports.refusals;
    this.withdrawals = ports.withdrawals;
    this.ops = ports.ops;
    this.timer = setInterval(() => void this.syncIdentity().catch(() => undefined), options.identitySyncMs);
    this.timer.unref();
  }

  get identity(): DataIdentity {
    return this.keeper.current;
  }

  atomically<T>(fn: (tx: StorePorts) => Promise<T>): Promise<T> {
    const refused = this.refuse('atomically');
    if (refused) return Promise.reject(refused);
    return this.lock.run(async () => {
      this.assertOpen();
      let touched = new Set<string>();
      const result = await transaction(this.pool, { lockTimeoutMs: this.options.lockTimeoutMs }, async (sql) => {
        // A retried attempt starts afresh: only the committed attempt's packages count.
        touched = new Set<string>();
        const scope: TxScope = { owner: this, open: true };
        try {
          return await runInScope(scope, () => fn(this.portsOf(this.txAccess(sql, scope, touched))));
        } finally {
          scope.open = false;
        }
      });
      this.changes.changed(touched);
      return result;
    });
  }

  async syncIdentity(): Promise<void> {
    if (this.closed) return;
    await this.keeper.sync(sqlOn(this.pool));
  }

  async backup(file: string): Promise<BackupSummary> {
    this.assertOpen();
    // One snapshot for every table, taken without the write lock: the mirrors go on writing meanwhile.
    return transaction(this.pool, { lockTimeoutMs: 0, lock: false, isolation: 'REPEATABLE READ', readOnly: true }, (sql, client) =>
      writeBackup(sql, client, file, Date.now()),
    );
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearInterval(this.timer);
      // Writes already queued finish first; new ones are refused.
      await this.lock.idle();
      await this.keeper.sync(sqlOn(this.pool)).catch(() => undefined);
      await this.changes.stop();
      await this.pool.end().catch(() => undefined);
      this.claim.release();
    })();
    return this.closing;
  }

  private portsOf(access: Access): StorePorts {
    return {
      versions: versionPort(access),
      analyses: analysisPort(access),
      jobs: jobPort(access),
      approvals: approvalPort(access),
      audit: auditPort(access),
      passkeys: passkeyPort(access),
      notifications: notificationPort(access),
      refusals: refusalPort(access),
      withdrawals: withdrawalPort(access),
      ops: opsPort(access, (now) => this.probe(now)),
    };
  }

  /** Reads on the pool; writes queued in memory, then one locked transaction each. */
  private storeAccess(): Access {
    const sql = sqlOn(this.pool);
    return {
      read: async (fn) => {
        this.assertOpen();
        return fn(sql);
      },
      write: async (fn, touched = []) => {
        const refused = this.refuse('write');
        if (refused) throw refused;
        return this.lock.run(async () => {
          this.assertOpen();
          const result = await transaction(this.pool, { lockTimeoutMs: this.options.lockTimeoutMs }, (tx) => fn(tx));
          if (touched.length) this.changes.changed(touched);
          return result;
        });
      },
    };
  }

  /** Reads and writes of one transaction: all on its client, which holds the write lock. */
  private txAccess(sql: Sql, scope: TxScope, touched: Set<string>): Access {
    const calls = new WriteLock();
    let savepoints = 0;
    const check = (): void => {
      assertScopeOpen(scope);
      this.assertOpen();
    };
    return {
      read: async (fn) => {
        check();
        return fn(sql);
      },
      // Each port call is a savepoint: a call that fails keeps nothing of itself and the transaction goes on,
      // as SQLite's nested transactions do. Calls of one transaction run one after the other.
      write: (fn, names = []) =>
        calls.run(async () => {
          check();
          const point = `port_call_${++savepoints}`;
          await sql.run(`SAVEPOINT ${point}`);
          let result: Awaited<ReturnType<typeof fn>>;
          try {
            result = await fn(sql);
          } catch (err) {
            await sql.run(`ROLLBACK TO SAVEPOINT ${point}`);
            throw err;
          }
          await sql.run(`RELEASE SAVEPOINT ${point}`);
          for (const name of names) touched.add(name);
          return result;
        }),
    };
  }

  /**
   * Reads the schema and writes one row under the write lock, waiting for it at most the busy timeout,
   * so a readiness probe never stalls for a long write of another mirror. Throws when it cannot.
   */
  private async probe(now: number): Promise<void> {
    this.assertOpen();
    await transaction(this.pool, { lockTimeoutMs: this.options.busyTimeoutMs }, async (sql) => {
      await sql.one('SELECT MAX(id) AS id FROM schema_migrations');
      await sql.run('INSERT INTO health_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at', [now]);
    });
  }

  /** Why a write through the store must not start now: the store is closed, or this is its own transaction's context (it would wait for itself). */
  private refuse(what: string): StorageError | null {
    return refusal(this, this.closed, what);
  }

  private assertOpen(): void {
    if (this.pool.ended || this.pool.ending) throw closedError();
  }
}
