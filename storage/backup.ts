/**
 * Backups of the store: a consistent online copy through SQLite's backup API while the mirror serves,
 * and a restore that checks the data folder's identity. A restore is an explicit step back in time: it
 * is audited in the restored store with what was lost, and the identity file then records the restored
 * head, so the mirror starts on it instead of refusing it as rolled back.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { CordonError } from '../server/errors';
import { AuditLog } from './audit-log';
import { dataPaths, readIdentity, writeIdentity, type DataIdentity } from './data-folder';
import { openDatabase } from './database';
import { migrations } from './migrations';

export type BackupErrorCode =
  | 'BACKUP_UNREADABLE'
  | 'BACKUP_FOREIGN'
  | 'BACKUP_TOO_NEW'
  | 'STORE_MISSING'
  | 'MIRROR_RUNNING'
  | 'TARGET_EXISTS';

/** A backup or restore that cannot be done; the message says why and what to do. */
export class BackupError extends CordonError<BackupErrorCode> {}

/** What a backup holds. */
export interface BackupSummary {
  readonly dataId: string | null;
  readonly head: { readonly id: number; readonly hash: string } | null;
  readonly versions: number;
  readonly decisions: number;
  readonly bytes: number;
}

function summarise(db: Database.Database, bytes: number): BackupSummary {
  const one = <T>(sql: string): T | undefined => db.prepare(sql).get() as T | undefined;
  return {
    dataId: one<{ value: string }>("SELECT value FROM meta WHERE key = 'data-id'")?.value ?? null,
    head: one<{ id: number; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1') ?? null,
    versions: one<{ n: number }>('SELECT COUNT(*) AS n FROM versions')?.n ?? 0,
    decisions: one<{ n: number }>('SELECT COUNT(*) AS n FROM decisions')?.n ?? 0,
    bytes,
  };
}

/** Reads what a backup file holds, after SQLite's own integrity check; throws BackupError when it is not a usable Cordon store. */
export function inspectBackup(file: string): BackupSummary {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError('BACKUP_UNREADABLE', `${file} cannot be opened as a SQLite file (${(err as Error).message})`, { cause: err });
  }
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok')
      throw new BackupError(
        'BACKUP_UNREADABLE',
        `${file} is damaged (SQLite integrity check: ${String(check).slice(0, 200)}); use another backup`,
      );
    const applied = (db.prepare('SELECT MAX(id) AS id FROM schema_migrations').get() as { id: number | null }).id ?? 0;
    const newest = migrations[migrations.length - 1]!.id;
    if (applied > newest)
      throw new BackupError(
        'BACKUP_TOO_NEW',
        `${file} was written by a newer Cordon (schema ${applied}, this one knows ${newest}); restore it with that version`,
      );
    return summarise(db, readFileSync(file).length);
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError('BACKUP_UNREADABLE', `${file} is not a Cordon store (${(err as Error).message})`, { cause: err });
  } finally {
    db.close();
  }
}

/**
 * Copies the live store of `dataDir` to `file` (which must not exist) with SQLite's online backup,
 * while the mirror goes on serving and writing; the copy is one consistent state.
 */
export async function backupStore(dataDir: string, file: string): Promise<BackupSummary> {
  const { store } = dataPaths(dataDir);
  if (!existsSync(store))
    throw new BackupError('STORE_MISSING', `there is no store at ${store}; check CORDON_DATA_DIR (or dataDir in cordon.yaml)`);
  if (existsSync(file))
    throw new BackupError('TARGET_EXISTS', `${file} already exists; choose a new file name, so no backup is overwritten`);
  const db = new Database(store, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    // After the first step, copy everything at once: a write between two steps would restart the copy.
    await db.backup(file, { progress: () => 1 << 30 });
  } catch (err) {
    rmSync(file, { force: true });
    throw new BackupError('BACKUP_UNREADABLE', `cannot back up ${store}: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
  return inspectBackup(file);
}

/** The pid of a live process that claimed the data folder, or null. */
export function mirrorRunning(dataDir: string): number | null {
  return running(dataPaths(dataDir).pid);
}

function running(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/**
 * Restores `file` as the store of `dataDir`, with the mirror stopped. The backup must belong to this
 * data folder (same identity), or the folder must be new (then it takes the backup's identity). The
 * store it replaces is moved aside, never deleted. Returns what was restored and the head it replaced.
 */
export function restoreStore(
  dataDir: string,
  file: string,
  at: number,
): { restored: BackupSummary; replacedHead: DataIdentity['auditHead'] | null; movedAside: string[]; dataId: string } {
  const paths = dataPaths(dataDir);
  const pid = running(paths.pid);
  if (pid !== null)
    throw new BackupError(
      'MIRROR_RUNNING',
      `a mirror (pid ${pid}) is running on ${dataDir}; stop it first, then restore (if no Cordon runs there, delete ${paths.pid})`,
    );
  const restored = inspectBackup(file);
  const identity = readIdentity(dataDir);
  if (!restored.dataId)
    throw new BackupError(
      'BACKUP_UNREADABLE',
      `${file} carries no data-folder identity (a store from before identities): restore it with cordon store init --adopt-existing --previous-store ${file}`,
    );
  if (identity && identity.id !== restored.dataId) {
    throw new BackupError(
      'BACKUP_FOREIGN',
      `${file} is a backup of data folder ${restored.dataId}, not of this one (${identity.id}). Restore it into its own data folder, or into a new, empty one`,
    );
  }
  if (!identity && existsSync(paths.store))
    throw new BackupError(
      'BACKUP_FOREIGN',
      `${dataDir} has a store but no identity file; move it aside first, or restore into a new, empty folder`,
    );
  const movedAside: string[] = [];
  const stamp = new Date(at).toISOString().replace(/[:.]/g, '-');
  for (const suffix of ['', '-wal', '-shm']) {
    if (!existsSync(paths.store + suffix)) continue;
    const aside = `${paths.store}.before-restore-${stamp}${suffix}`;
    renameSync(paths.store + suffix, aside);
    movedAside.push(aside);
  }
  mkdirSync(dataDir, { recursive: true });
  const partial = `${paths.store}.restoring`;
  copyFileSync(file, partial);
  renameSync(partial, paths.store);
  const db = openDatabase(paths.store);
  try {
    const entry = new AuditLog(db).append({
      at,
      package: '(store)',
      version: null,
      fromState: null,
      toState: null,
      cause: 'store-restored',
      detail: { backup: file, backupHead: restored.head, replacedHead: identity?.auditHead ?? null, movedAside },
    });
    writeIdentity(dataDir, {
      format: 'cordon-data/1',
      id: restored.dataId,
      createdAt: identity?.createdAt ?? new Date(at).toISOString(),
      auditHead: { id: entry.id, hash: entry.hash },
    });
  } finally {
    db.close();
  }
  return { restored, replacedHead: identity?.auditHead ?? null, movedAside, dataId: restored.dataId };
}

/** Marks the data folder as in use by this process (removed by `release`). */
export function claimDataFolder(dataDir: string): { release(): void } {
  const file = dataPaths(dataDir).pid;
  const other = running(file);
  if (other !== null && other !== process.pid) {
    // Two mirrors on one SQLite file would each keep the identity file; refuse the second.
    throw new BackupError(
      'MIRROR_RUNNING',
      `another Cordon process (pid ${other}) is using ${dataDir}; stop it, or give this one its own data folder (if none runs, delete ${file})`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`);
  renameSync(tmp, file);
  return {
    release() {
      try {
        if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
      } catch {
        // Already gone.
      }
    },
  };
}
