/**
 * `cordon restore FILE` for a PostgreSQL store: puts a backup back into a new, empty database (never
 * over a store: a database that holds one is refused, so no decision is overwritten). The audit log is
 * re-inserted entry by entry through the same chain trigger that guards every append, so a backup whose
 * chain was edited does not load. The restore itself is then audited, and this data folder's identity
 * records the restored head, so the mirror starts on it instead of refusing it as rolled back.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';
import { BackupError, mirrorRunning, type BackupSummary } from '../backup';
import { readIdentity, writeIdentity, type DataIdentity } from '../data-folder';
import { createPool, transaction, type Sql } from './connection';
import { appendAudit } from './audit';
import { toAudit, type AuditRow } from '../rows';
import { auditEntryHash, GENESIS_HASH } from '../audit-log';
import { inspectPostgresBackup } from './backup';
import { describeUrl, migrate } from './migrations';

/** Tables in the order their rows can go back (what a row refers to first); the audit log row by row. */
const ORDER = [
  'meta',
  'packages',
  'audit_log',
  'decisions',
  'versions',
  'analyses',
  'added_findings',
  'jobs',
  'passkey_enrollments',
  'passkeys',
  'notify_events',
  'notify_deliveries',
  'refusals',
  'withdrawals',
  'health_probe',
];
/** Tables whose ids come from a sequence, moved past the restored rows. */
const SERIAL = ['decisions', 'notify_events'];
const BATCH = 500;

async function insertRows(sql: Sql, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  if (table === 'audit_log') {
    // One by one, in id order: the chain trigger checks each against the head before it.
    for (const r of rows) {
      await sql.run(
        'INSERT INTO audit_log (id, at, package, version, from_state, to_state, cause, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [r.id, r.at, r.package, r.version, r.from_state, r.to_state, r.cause, r.detail, r.prev_hash, r.hash],
      );
    }
    return;
  }
  for (let i = 0; i < rows.length; i += BATCH) {
    await sql.run(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::json)`, [
      JSON.stringify(rows.slice(i, i + BATCH)),
    ]);
  }
}

/**
 * Restores `file` into the empty database at `url`, for the data folder `dataDir` (which must be this
 * store's, or new). Returns what was restored and the identity the folder now has.
 */
export async function restorePostgres(
  url: string,
  file: string,
  dataDir: string,
  at: number,
): Promise<{ restored: BackupSummary; identity: DataIdentity }> {
  const pid = mirrorRunning(dataDir);
  if (pid !== null) throw new BackupError('MIRROR_RUNNING', `a mirror (pid ${pid}) is running on ${dataDir}; stop it first, then restore`);
  const restored = inspectPostgresBackup(file);
  if (!restored.dataId) throw new BackupError('BACKUP_UNREADABLE', `${file} carries no store id; it cannot be restored as a Cordon store`);
  const identity = readIdentity(dataDir);
  if (identity && identity.id !== restored.dataId) {
    throw new BackupError(
      'BACKUP_FOREIGN',
      `${file} is a backup of store ${restored.dataId}, not of the one this data folder belongs to (${identity.id}). Restore it with a new, empty data folder`,
    );
  }
  const byTable = new Map<string, Record<string, unknown>[]>();
  let sequence = 0;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const line of lines.slice(1)) {
    if (!line.startsWith('{"t":')) continue;
    const { t, r } = JSON.parse(line) as { t: string; r: Record<string, unknown> };
    if (t === 'audit_sequence') sequence = Number(r.value) || 0;
    else if (ORDER.includes(t)) (byTable.get(t) ?? byTable.set(t, []).get(t)!).push(r);
  }
  // The trigger checks the links of the chain; the hashes themselves are checked here, before anything is written.
  let prev = GENESIS_HASH;
  for (const row of byTable.get('audit_log') ?? []) {
    const { hash, ...rest } = toAudit(row as unknown as AuditRow);
    if (rest.prevHash !== prev || auditEntryHash(rest) !== hash) {
      throw new BackupError(
        'BACKUP_UNREADABLE',
        `${file} is damaged or was edited: audit entry ${rest.id} does not match its hash chain (cordon audit verify --db ${file} says more); use another backup`,
      );
    }
    prev = hash;
  }
  const pool: pg.Pool = createPool(url, 5_000, 1);
  try {
    await migrate(pool, describeUrl(url));
    const entry = await transaction(pool, { lockTimeoutMs: 5_000 }, async (sql) => {
      const used = await sql.one<{ n: number }>(
        "SELECT (SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM versions) + (SELECT COUNT(*) FROM meta WHERE key = 'data-id') AS n",
      );
      if ((used?.n ?? 0) > 0) {
        throw new BackupError(
          'TARGET_EXISTS',
          `the PostgreSQL database ${describeUrl(url)} already holds a store; restore into a new, empty database (createdb), then point CORDON_DATABASE_URL at it`,
        );
      }
      for (const table of ORDER) await insertRows(sql, table, byTable.get(table) ?? []);
      // The highest id the backed-up store had ever handed out (it only moves forward).
      await sql.run('UPDATE audit_sequence SET value = GREATEST(value, $1) WHERE one = 1', [sequence]);
      for (const table of SERIAL)
        await sql.run(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT MAX(id) FROM ${table}), 1))`);
      return appendAudit(sql, {
        at,
        package: '(store)',
        version: null,
        fromState: null,
        toState: null,
        cause: 'store-restored',
        detail: { backup: file, backupHead: restored.head, replacedHead: identity?.auditHead ?? null, movedAside: [] },
      });
    });
    const next: DataIdentity = {
      format: 'cordon-data/1',
      id: restored.dataId,
      createdAt: identity?.createdAt ?? new Date(at).toISOString(),
      auditHead: { id: entry.id, hash: entry.hash },
    };
    mkdirSync(dataDir, { recursive: true });
    writeIdentity(dataDir, next);
    return { restored, identity: next };
  } finally {
    await pool.end().catch(() => undefined);
  }
}
