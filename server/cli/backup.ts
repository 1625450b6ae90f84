/**
 * `cordon backup FILE` and `cordon restore FILE`: a consistent copy of the store while the mirror serves,
 * and putting one back (mirror stopped), checked against the data folder's identity.
 */
import { resolve } from 'node:path';
import { loadConfig } from '../config';
import { backupStore, isPostgresUrl, restoreStore } from '../../storage';
import { parseCommand } from './cordon-client';
import { EXIT, reportError, UsageError } from './error-text';

const BACKUP_USAGE = `usage: cordon backup FILE

  Writes a consistent copy of the store (CORDON_DATA_DIR/cordon.sqlite, or the PostgreSQL database of
  CORDON_DATABASE_URL as JSON lines) to FILE, a new file, while the mirror goes on serving. Back up the verified tarballs (CORDON_DATA_DIR/blobs) with any file copy: every
  file there is named by its sha512 and checked again when read.
`;

const RESTORE_USAGE = `usage: cordon restore FILE

  Puts a backup back as the store of CORDON_DATA_DIR (with CORDON_DATABASE_URL: into that PostgreSQL
  database, which must be new and empty). Stop the mirror first. The backup must be of this
  data folder, or the folder must be new. The store it replaces is moved aside, and the restore, with the
  audit entries it gives up, is written to the audit log.
`;

const head = (h: { id: number; hash: string } | null | undefined): string => (h ? `${h.id}:${h.hash}` : '(empty)');

export async function backupCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, { help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      process.stdout.write(BACKUP_USAGE);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('USAGE', 'expected one FILE to write the backup to');
    const config = loadConfig();
    const file = resolve(positionals[0]!);
    const databaseUrl = config.databaseUrl;
    if (databaseUrl !== null && isPostgresUrl(databaseUrl)) {
      // Loaded only when asked for, so the SQLite default never loads the PostgreSQL driver.
      const { backupPostgres } = await import('../../storage/postgres');
      const summary = await backupPostgres(databaseUrl, file);
      process.stdout.write(
        `Backed up the PostgreSQL store to ${file}: ${summary.versions} versions, ${summary.decisions} decisions, audit head ${head(summary.head)} (store ${summary.dataId}).\n`,
      );
      return EXIT.ok;
    }
    const summary = await backupStore(config.dataDir, file);
    process.stdout.write(
      `Backed up ${config.dataDir} to ${file}: ${summary.versions} versions, ${summary.decisions} decisions, audit head ${head(summary.head)} (data folder ${summary.dataId}).\n`,
    );
    return EXIT.ok;
  } catch (err) {
    return reportError('backup', err, BACKUP_USAGE);
  }
}

export async function restoreCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, { help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      process.stdout.write(RESTORE_USAGE);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('USAGE', 'expected one backup FILE to restore');
    const config = loadConfig();
    const file = resolve(positionals[0]!);
    const databaseUrl = config.databaseUrl;
    if (databaseUrl !== null && isPostgresUrl(databaseUrl)) {
      const { restorePostgres } = await import('../../storage/postgres');
      const { restored, identity } = await restorePostgres(databaseUrl, file, config.dataDir, Date.now());
      process.stdout.write(
        `Restored ${file} into the PostgreSQL database of CORDON_DATABASE_URL: ${restored.versions} versions, ${restored.decisions} decisions, audit head ${head(restored.head)}; the restore is audit entry ${head(identity.auditHead)}.\n` +
          'Point every mirror at this database. A mirror whose data folder saw a later head refuses it as rolled back: give it a new, empty data folder (its verified tarballs are fetched again).\n',
      );
      return EXIT.ok;
    }
    const { restored, replacedHead, movedAside } = restoreStore(config.dataDir, file, Date.now());
    process.stdout.write(
      `Restored ${file} into ${config.dataDir}: ${restored.versions} versions, ${restored.decisions} decisions, audit head ${head(restored.head)}.\n` +
        (replacedHead && restored.head && replacedHead.id > restored.head.id
          ? `The store had reached audit entry ${replacedHead.id}; what happened after the backup is not in it (the replaced store was kept).\n`
          : '') +
        (movedAside.length ? `Moved aside: ${movedAside.join(', ')}\n` : '') +
        'Start the mirror.\n',
    );
    return EXIT.ok;
  } catch (err) {
    return reportError('restore', err, RESTORE_USAGE);
  }
}
