/**
 * The data folder knows its data. Its identity file (`cordon-identity.json`) names the folder's id,
 * which the store carries too, and the audit head the store had reached. Opening a folder refuses a
 * lost store (tarballs or an identity, but no store), a store of another folder, and a store that was
 * rolled back (its audit chain ends before the recorded head): each would otherwise turn held versions
 * into a fresh baseline. Re-baselining on purpose is `cordon store init --adopt-existing`.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CordonError } from '../server/errors';
import { openDatabase, type Db } from './database';

export type DataFolderErrorCode = 'STORE_LOST' | 'STORE_FOREIGN' | 'STORE_ROLLED_BACK' | 'IDENTITY_MISSING' | 'IDENTITY_UNREADABLE';

/** The data folder and its store disagree; the message says what happened and what to do. */
export class DataFolderError extends CordonError<DataFolderErrorCode> {}

/** What the identity file holds. */
export interface DataIdentity {
  readonly format: 'cordon-data/1';
  /** The folder's id; the store keeps the same one in `meta`. */
  readonly id: string;
  readonly createdAt: string;
  /** The newest audit entry the store had written when the file was last updated. */
  readonly auditHead: { readonly id: number; readonly hash: string } | null;
}

/** Where things live in a data folder. */
export const dataPaths = (dataDir: string) => ({
  store: join(dataDir, 'cordon.sqlite'),
  identity: join(dataDir, 'cordon-identity.json'),
  /** Verdaccio's storage (cached packuments, and tarballs of older Cordon versions). */
  verdaccio: join(dataDir, 'storage'),
  /** The content-addressed store of verified tarball bytes. */
  blobs: join(dataDir, 'blobs'),
  /** The pid of the process serving from this folder while it runs. */
  pid: join(dataDir, 'cordon.pid'),
});

const RESTORE_HINT =
  'Restore the store from a backup (stop the mirror, then: cordon restore BACKUP_FILE), or, to accept the loss and re-baseline on purpose, run: cordon store init --adopt-existing [--previous-store OLD_STORE_FILE]';

/** Reads the identity file; null when there is none. */
export function readIdentity(dataDir: string): DataIdentity | null {
  const file = dataPaths(dataDir).identity;
  if (!existsSync(file)) return null;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as DataIdentity;
    if (parsed?.format !== 'cordon-data/1' || typeof parsed.id !== 'string' || !parsed.id) throw new Error('not a Cordon identity file');
    return parsed;
  } catch (err) {
    throw new DataFolderError(
      'IDENTITY_UNREADABLE',
      `The identity file ${file} cannot be read (${(err as Error).message}). Restore it from a backup of the data folder; Cordon will not guess which store belongs here.`,
      { cause: err },
    );
  }
}

/** Writes the identity file atomically and durably (temp file, fsync, rename). */
export function writeIdentity(dataDir: string, identity: DataIdentity): void {
  const file = dataPaths(dataDir).identity;
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, `${JSON.stringify(identity, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** True when the folder holds tarballs or cached packuments from an earlier life. */
export function hasStoredData(dataDir: string): boolean {
  const { verdaccio, blobs } = dataPaths(dataDir);
  const nonEmpty = (dir: string): boolean => {
    try {
      return statSync(dir).isDirectory() && readdirSync(dir).some((e) => !e.startsWith('.') && e !== 'tmp');
    } catch {
      return false;
    }
  };
  return nonEmpty(verdaccio) || nonEmpty(blobs);
}

function storeId(db: Db): string | null {
  return (db.prepare("SELECT value FROM meta WHERE key = 'data-id'").get() as { value: string } | undefined)?.value ?? null;
}

function auditHead(db: Db): { id: number; hash: string } | null {
  return (db.prepare('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as { id: number; hash: string } | undefined) ?? null;
}

/**
 * Opens the store of a data folder after checking that it is this folder's and that it has not gone
 * back in time. A folder with nothing in it is initialised; a store from before identities existed is
 * given one. Throws DataFolderError, having changed nothing, when the two disagree.
 */
export function openDataFolder(dataDir: string): { db: Db; identity: DataIdentity } {
  mkdirSync(dataDir, { recursive: true });
  const paths = dataPaths(dataDir);
  const identity = readIdentity(dataDir);
  const storeExists = existsSync(paths.store);
  if (!storeExists) {
    if (identity) {
      throw new DataFolderError(
        'STORE_LOST',
        `The store ${paths.store} is missing, but this data folder (id ${identity.id}) had one${identity.auditHead ? ` with ${identity.auditHead.id} audit entries` : ''}. Starting with an empty store would turn every held, rejected and blocked version into a released baseline, so Cordon will not start. ${RESTORE_HINT}.`,
      );
    }
    if (hasStoredData(dataDir)) {
      throw new DataFolderError(
        'STORE_LOST',
        `The data folder ${dataDir} holds cached packages and tarballs but no store (${paths.store}). Starting with an empty store would turn every held, rejected and blocked version into a released baseline, so Cordon will not start. ${RESTORE_HINT}.`,
      );
    }
  }
  const db = openDatabase(paths.store);
  try {
    const id = storeId(db);
    const head = auditHead(db);
    if (!identity) {
      if (id !== null) {
        throw new DataFolderError(
          'IDENTITY_MISSING',
          `The store ${paths.store} belongs to data folder ${id}, but ${paths.identity} is missing, so Cordon cannot tell whether the store was rolled back. Restore the data folder's identity file from a backup, or restore the store with cordon restore BACKUP_FILE.`,
        );
      }
      // A new folder, or a store from before identities: adopt it as it stands.
      const created: DataIdentity = { format: 'cordon-data/1', id: randomUUID(), createdAt: new Date().toISOString(), auditHead: head };
      db.prepare("INSERT INTO meta (key, value) VALUES ('data-id', ?)").run(created.id);
      writeIdentity(dataDir, created);
      return { db, identity: created };
    }
    if (id !== identity.id) {
      throw new DataFolderError(
        'STORE_FOREIGN',
        `The store ${paths.store} belongs to ${id === null ? 'no data folder (it was created elsewhere or by hand)' : `data folder ${id}`}, not to this one (${identity.id}). Cordon will not mix the decisions of one mirror with the tarballs of another. Put the right store back, or ${RESTORE_HINT.charAt(0).toLowerCase()}${RESTORE_HINT.slice(1)}.`,
      );
    }
    if (identity.auditHead) {
      const entry = db.prepare('SELECT hash FROM audit_log WHERE id = ?').get(identity.auditHead.id) as { hash: string } | undefined;
      if (!entry || entry.hash !== identity.auditHead.hash) {
        throw new DataFolderError(
          'STORE_ROLLED_BACK',
          `The store ${paths.store} ends at audit entry ${head?.id ?? 0}, before the ${identity.auditHead.id} entries this data folder had recorded${entry ? ' (and that entry differs)' : ''}: it was rolled back (a lost or corrupted write-ahead log, or an old copy put back), and decisions made since are missing. Cordon will not start on it. ${RESTORE_HINT}.`,
        );
      }
    }
    return { db, identity };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Keeps the identity file's audit head in step with the store: `sync()` after writes (it is cheap when
 * nothing changed). The file is written only after the store committed, so it never runs ahead of it.
 */
export class IdentityKeeper {
  private last: { id: number; hash: string } | null;
  constructor(
    private readonly dataDir: string,
    private readonly db: Db,
    private identity: DataIdentity,
  ) {
    this.last = identity.auditHead;
  }

  /** Records the store's current audit head in the identity file, if it moved. */
  sync(): void {
    if (!this.db.open) return;
    const head = auditHead(this.db);
    if (head === null || (this.last && this.last.id === head.id && this.last.hash === head.hash)) return;
    this.identity = { ...this.identity, auditHead: head };
    writeIdentity(this.dataDir, this.identity);
    this.last = head;
  }

  /** The identity as last written. */
  get current(): DataIdentity {
    return this.identity;
  }
}

/**
 * Starts the folder over with an empty store and a new identity, for an explicit, audited re-baseline:
 * any store file present is moved aside (never deleted), so it stays as evidence. Returns the open store
 * and the paths it moved.
 */
export function initFreshStore(dataDir: string, at: number): { db: Db; identity: DataIdentity; movedAside: string[] } {
  mkdirSync(dataDir, { recursive: true });
  const { store } = dataPaths(dataDir);
  const movedAside: string[] = [];
  const stamp = new Date(at).toISOString().replace(/[:.]/g, '-');
  for (const suffix of ['', '-wal', '-shm']) {
    if (!existsSync(store + suffix)) continue;
    const aside = `${store}.replaced-${stamp}${suffix}`;
    renameSync(store + suffix, aside);
    movedAside.push(aside);
  }
  const db = openDatabase(store);
  const identity: DataIdentity = { format: 'cordon-data/1', id: randomUUID(), createdAt: new Date(at).toISOString(), auditHead: null };
  db.prepare("INSERT INTO meta (key, value) VALUES ('data-id', ?)").run(identity.id);
  writeIdentity(dataDir, identity);
  return { db, identity, movedAside };
}

/** `initFreshStore` for callers outside storage/: the fresh store file is written and closed; open it with `openStore`. */
export function createFreshStore(dataDir: string, at: number): { identity: DataIdentity; movedAside: string[] } {
  const { db, identity, movedAside } = initFreshStore(dataDir, at);
  db.close();
  return { identity, movedAside };
}

/** The packages Verdaccio's storage folder holds a packument of (`name/package.json`, `@scope/name/package.json`). */
export function storedPackageNames(dataDir: string): string[] {
  const root = dataPaths(dataDir).verdaccio;
  const names: string[] = [];
  const has = (dir: string): boolean => existsSync(join(dir, 'package.json'));
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  for (const entry of entries.sort()) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      let inner: string[] = [];
      try {
        inner = readdirSync(join(root, entry));
      } catch {
        continue;
      }
      for (const name of inner.sort()) if (has(join(root, entry, name))) names.push(`${entry}/${name}`);
    } else if (has(join(root, entry))) names.push(entry);
  }
  return names;
}
