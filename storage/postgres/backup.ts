/**
 * Backups of a PostgreSQL store: every table copied inside one REPEATABLE READ transaction (one
 * consistent snapshot while the mirrors go on writing), as JSON lines: a header, one line per row, and
 * a trailer with the row counts, so a truncated file is told from a complete one. `inspectPostgresBackup`
 * reads one back for `cordon backup` and `cordon restore`.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import type pg from 'pg';
import { BackupError, type BackupSummary } from '../backup';
import type { AuditEntry } from '../audit-log';
import type { Sql } from './connection';
import { toAudit } from '../rows';
import { pgMigrations } from './schema';

export const BACKUP_FORMAT = 'cordon-postgres-backup/1';

/** Every table, in an order a restore can insert them in (referenced tables first), with its key. */
const TABLES: ReadonlyArray<{ name: string; order: string }> = [
  { name: 'schema_migrations', order: 'id' },
  { name: 'meta', order: 'key' },
  { name: 'packages', order: 'name' },
  { name: 'versions', order: 'package, version' },
  { name: 'audit_log', order: 'id' },
  { name: 'audit_sequence', order: 'one' },
  { name: 'decisions', order: 'id' },
  { name: 'analyses', order: 'package, version, integrity' },
  { name: 'added_findings', order: 'package, version, integrity, rule' },
  { name: 'jobs', order: 'id' },
  { name: 'passkey_enrollments', order: 'token_hash' },
  { name: 'passkeys', order: 'credential_id' },
  { name: 'notify_events', order: 'id' },
  { name: 'notify_deliveries', order: 'event_id, endpoint' },
  { name: 'refusals', order: 'package, version' },
  { name: 'withdrawals', order: 'package, version' },
  { name: 'health_probe', order: 'id' },
];

interface Header {
  readonly format: typeof BACKUP_FORMAT;
  readonly schema: number;
  readonly createdAt: string;
  readonly dataId: string | null;
  readonly head: { id: number; hash: string } | null;
}

/** Writes the snapshot `sql` sees (call inside a REPEATABLE READ transaction on `client`) to `file`, which must not exist. */
export async function writeBackup(sql: Sql, client: pg.PoolClient, file: string, at: number): Promise<BackupSummary> {
  if (existsSync(file))
    throw new BackupError('TARGET_EXISTS', `${file} already exists; choose a new file name, so no backup is overwritten`);
  const schema = (await sql.one<{ id: number | null }>('SELECT MAX(id) AS id FROM schema_migrations'))?.id ?? 0;
  const header: Header = {
    format: BACKUP_FORMAT,
    schema,
    createdAt: new Date(at).toISOString(),
    dataId: (await sql.one<{ value: string }>("SELECT value FROM meta WHERE key = 'data-id'"))?.value ?? null,
    head: (await sql.one<{ id: number; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1')) ?? null,
  };
  const partial = `${file}.partial`;
  const fd = openSync(partial, 'w', 0o600);
  let bytes = 0;
  const put = (value: unknown): void => {
    const line = `${JSON.stringify(value)}\n`;
    bytes += writeSync(fd, line);
  };
  const counts: Record<string, number> = {};
  try {
    put(header);
    for (const table of TABLES) {
      let n = 0;
      // A cursor keeps memory flat however long the audit log is.
      await client.query(`DECLARE backup_rows NO SCROLL CURSOR FOR SELECT * FROM ${table.name} ORDER BY ${table.order}`);
      for (;;) {
        const { rows } = await client.query('FETCH 1000 FROM backup_rows');
        for (const row of rows) put({ t: table.name, r: row });
        n += rows.length;
        if (rows.length < 1000) break;
      }
      await client.query('CLOSE backup_rows');
      counts[table.name] = n;
    }
    put({ end: BACKUP_FORMAT, counts });
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(partial, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(partial, file);
  return { dataId: header.dataId, head: header.head, versions: counts.versions ?? 0, decisions: counts.decisions ?? 0, bytes };
}

/** True when `file` starts like a PostgreSQL backup (so `cordon backup`/`restore` can tell it from a SQLite file). */
export function isPostgresBackup(file: string): boolean {
  try {
    const fd = openSync(file, 'r');
    try {
      const start = Buffer.alloc(64);
      const n = readSync(fd, start, 0, 64, 0);
      return start.subarray(0, n).toString('utf8').includes(`"format":"${BACKUP_FORMAT}"`);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** Reads what a PostgreSQL backup holds after checking it is whole; throws BackupError when it is not a usable backup. */
export function inspectPostgresBackup(file: string): BackupSummary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BackupError('BACKUP_UNREADABLE', `${file} cannot be read (${(err as Error).message})`, { cause: err });
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let header: Header;
  let trailer: { end: string; counts: Record<string, number> };
  try {
    header = JSON.parse(lines[0] ?? '') as Header;
    trailer = JSON.parse(lines[lines.length - 1] ?? '') as typeof trailer;
  } catch (err) {
    throw new BackupError('BACKUP_UNREADABLE', `${file} is not a Cordon PostgreSQL backup (${(err as Error).message})`, { cause: err });
  }
  if (header.format !== BACKUP_FORMAT)
    throw new BackupError('BACKUP_UNREADABLE', `${file} is not a Cordon PostgreSQL backup (format ${String(header.format)})`);
  const newest = pgMigrations[pgMigrations.length - 1]!.id;
  if (header.schema > newest)
    throw new BackupError(
      'BACKUP_TOO_NEW',
      `${file} was written by a newer Cordon (schema ${header.schema}, this one knows ${newest}); restore it with that version`,
    );
  if (trailer.end !== BACKUP_FORMAT || lines.length < 2)
    throw new BackupError(
      'BACKUP_UNREADABLE',
      `${file} is incomplete (it ends before its trailer: the backup was cut short); use another backup`,
    );
  const counts: Record<string, number> = {};
  for (const line of lines.slice(1, -1)) {
    const { t } = JSON.parse(line) as { t: string };
    counts[t] = (counts[t] ?? 0) + 1;
  }
  for (const [table, n] of Object.entries(trailer.counts)) {
    if ((counts[table] ?? 0) !== n)
      throw new BackupError(
        'BACKUP_UNREADABLE',
        `${file} is damaged: ${table} has ${counts[table] ?? 0} rows, its trailer says ${n}; use another backup`,
      );
  }
  return {
    dataId: header.dataId,
    head: header.head,
    versions: trailer.counts.versions ?? 0,
    decisions: trailer.counts.decisions ?? 0,
    bytes: Buffer.byteLength(text),
  };
}

/** The audit log a PostgreSQL backup holds, oldest first, and the highest id the store had handed out (for `cordon audit verify --db FILE`). */
export function readPostgresBackupAudit(file: string): { entries: AuditEntry[]; sequence: number | null } {
  inspectPostgresBackup(file);
  const entries: AuditEntry[] = [];
  let sequence: number | null = null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{"t":"audit_')) continue;
    const { t, r } = JSON.parse(line) as { t: string; r: Record<string, unknown> };
    if (t === 'audit_log') entries.push(toAudit(r as never));
    else if (t === 'audit_sequence') sequence = Number(r.value) || null;
  }
  return { entries, sequence };
}
