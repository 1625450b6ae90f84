/**
 * The SQLite backend of the store: the embedded default. One file, two connections: reads go to a
 * read-only connection, which sees only committed data; every write, and every `atomically`, takes one
 * in-process lock and goes to the writer connection, so writes of this process never interleave (other
 * processes wait on SQLite's own lock, up to the busy timeout, then fail closed). The synchronous store
 * classes do the work; this module only binds them to connections and answers with Promises.
 */
import Database from 'better-sqlite3';
import { StorageError, type Db } from '../database';
import { claimDataFolder, backupStore } from '../backup';
import { dataPaths, IdentityKeeper, openDataFolder } from '../data-folder';
import type { ChangeFeed, Store, StorePorts } from '../ports';
import { WriteLock } from './write-lock';
import { portsOf, storesOn, type Access, type SqliteStores } from './stores';
import { assertScopeOpen, closedError, refusal, runInScope, type TxScope } from '../tx-scope';

export interface SqliteStoreOptions {
  /** Longest a statement waits for another process's lock before failing closed (`storeBusyTimeoutMs`). */
  readonly busyTimeoutMs: number;
  /** How often the identity file catches up with the audit head; 200 ms by default. */
  readonly identitySyncMs?: number;
}

/** How often the data folder's identity file catches up with the store's audit head. */
const IDENTITY_SYNC_MS = 200;

/**
 * Opens the store of `dataDir` after claiming the folder for this process and checking its identity
 * (a lost, foreign or rolled-back store is refused with a DataFolderError, changing nothing).
 */
export function openSqliteStore(dataDir: string, options: SqliteStoreOptions): Store {
  const claim = claimDataFolder(dataDir);
  let writerDb: Db;
  let readerDb: Db;
  let keeper: IdentityKeeper;
  try {
    const opened = openDataFolder(dataDir);
    writerDb = opened.db;
    try {
      // Every statement on the event loop waits at most this long for another process's lock, then fails closed.
      writerDb.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
      readerDb = new Database(dataPaths(dataDir).store, { fileMustExist: true });
      readerDb.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
      // The reader must never write: every write takes the lock and the writer connection.
      readerDb.pragma('query_only = ON');
    } catch (err) {
      writerDb.close();
      throw err;
    }
    // The keeper reads the head through the reader, so it never records a head a transaction may still roll back.
    keeper = new IdentityKeeper(dataDir, readerDb, opened.identity);
  } catch (err) {
    claim.release();
    throw err;
  }
  return new SqliteStore(dataDir, writerDb, readerDb, keeper, claim, options);
}

class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;
  readonly changes: ChangeFeed;
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

  private readonly reader: SqliteStores;
  private readonly writer: SqliteStores;
  private readonly lock = new WriteLock();
  private readonly subscribers = new Set<(name: string) => void>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly dataDir: string,
    writerDb: Db,
    readerDb: Db,
    private readonly keeper: IdentityKeeper,
    private readonly claim: { release(): void },
    options: SqliteStoreOptions,
  ) {
    this.writer = storesOn(writerDb);
    this.reader = storesOn(readerDb);
    const ports = portsOf(this.storeAccess());
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
    const reader = this.reader;
    const subscribers = this.subscribers;
    this.changes = {
      // The trigger of migration 4 keeps it, whichever connection or process writes.
      generation: (name) => {
        if (!reader.db.open) throw closedError();
        return reader.versions.generation(name);
      },
      live: true,
      subscribe(fn) {
        subscribers.add(fn);
        return () => void subscribers.delete(fn);
      },
    };
    this.timer = setInterval(() => this.syncQuietly(), options.identitySyncMs ?? IDENTITY_SYNC_MS);
    this.timer.unref();
  }

  get identity() {
    return this.keeper.current;
  }

  atomically<T>(fn: (tx: StorePorts) => Promise<T>): Promise<T> {
    const refused = this.refuse('atomically');
    if (refused) return Promise.reject(refused);
    return this.lock.run(async () => {
      this.assertOpen();
      const db = this.writer.db;
      // Taken up front: nothing read inside can change before the transaction writes, in any process.
      db.exec('BEGIN IMMEDIATE');
      const scope: TxScope = { owner: this, open: true };
      const touched = new Set<string>();
      let result: T;
      try {
        result = await runInScope(scope, () => fn(portsOf(this.txAccess(scope, touched))));
        scope.open = false;
        // SQLite rolls a transaction back by itself after some faults (a full disk, I/O): then nothing was kept.
        if (!db.inTransaction)
          throw new StorageError(
            'STORE_UNAVAILABLE',
            'The store rolled the transaction back after a fault (a full disk or failing I/O); nothing of it was kept. Check the data folder and try again.',
          );
        db.exec('COMMIT');
      } catch (err) {
        scope.open = false;
        if (db.open && db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
      this.announce(touched);
      return result;
    });
  }

  async syncIdentity(): Promise<void> {
    this.keeper.sync();
  }

  async backup(file: string) {
    this.assertOpen();
    return backupStore(this.dataDir, file);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearInterval(this.timer);
      // Writes already queued finish first; new ones are refused.
      await this.lock.idle();
      this.syncQuietly();
      if (this.reader.db.open) this.reader.db.close();
      if (this.writer.db.open) this.writer.db.close();
      this.claim.release();
    })();
    return this.closing;
  }

  /** Reads through the reader connection, writes under the lock through the writer. */
  private storeAccess(): Access {
    return {
      read: async (fn) => {
        this.assertOpen();
        return fn(this.reader);
      },
      write: async (fn, opts = {}) => {
        const refused = this.refuse('write');
        if (refused) throw refused;
        return this.lock.run(() => {
          this.assertOpen();
          const db = this.writer.db;
          // Each write is one immediate transaction (the stores' own transactions nest inside as savepoints).
          const result = opts.ownLocking ? fn(this.writer) : db.transaction(() => fn(this.writer)).immediate();
          if (opts.touched) this.announce(new Set(opts.touched));
          return result;
        });
      },
    };
  }

  /** Reads and writes of one transaction: all on the writer, which holds the transaction, so it sees its own writes. */
  private txAccess(scope: TxScope, touched: Set<string>): Access {
    const check = (): void => {
      assertScopeOpen(scope);
      this.assertOpen();
    };
    return {
      read: async (fn) => {
        check();
        return fn(this.writer);
      },
      write: async (fn, opts = {}) => {
        check();
        // A SAVEPOINT: a call that fails keeps nothing of itself, and the transaction goes on.
        const result = opts.ownLocking ? fn(this.writer) : this.writer.db.transaction(() => fn(this.writer))();
        for (const name of opts.touched ?? []) touched.add(name);
        return result;
      },
    };
  }

  /** Why a write through the store must not start now: the store is closed, or this is its own transaction's context (it would wait for itself). */
  private refuse(what: string): StorageError | null {
    return refusal(this, this.closed, what);
  }

  private assertOpen(): void {
    if (!this.reader.db.open || !this.writer.db.open) throw closedError();
  }

  private announce(names: ReadonlySet<string>): void {
    for (const name of names) {
      for (const fn of [...this.subscribers]) {
        try {
          fn(name);
        } catch {
          // A subscriber's fault must not turn a committed write into a failed one.
        }
      }
    }
  }

  private syncQuietly(): void {
    try {
      this.keeper.sync();
    } catch {
      // The next tick tries again; a full disk must not stop serving.
    }
  }
}
