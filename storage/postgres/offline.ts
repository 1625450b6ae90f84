/**
 * What the CLI does against a PostgreSQL store without opening it as a mirror (no data folder, no
 * migration, no listener): a backup while the mirrors serve, and reading the audit log for
 * `cordon audit verify --db postgres://…`.
 */
import type { AuditEntry } from '../audit-log';
import type { BackupSummary } from '../backup';
import { createPool, sqlOn, transaction } from './connection';
import { toAudit } from '../rows';
import { writeBackup } from './backup';

/** Copies the whole store at `url` into `file` (which must not exist): one REPEATABLE READ snapshot, no lock taken. */
export async function backupPostgres(url: string, file: string, at = Date.now()): Promise<BackupSummary> {
  const pool = createPool(url, 5_000, 1);
  try {
    return await transaction(pool, { lockTimeoutMs: 0, lock: false, isolation: 'REPEATABLE READ', readOnly: true }, (sql, client) =>
      writeBackup(sql, client, file, at),
    );
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** Every audit entry of the store at `url`, oldest first, read in one snapshot, and the highest id ever appended. */
export async function readPostgresAudit(url: string): Promise<{ entries: AuditEntry[]; sequence: number | null }> {
  const pool = createPool(url, 5_000, 1);
  try {
    return await transaction(
      pool,
      { lockTimeoutMs: 0, lock: false, isolation: 'REPEATABLE READ', readOnly: true },
      async (_sql, client) => {
        const sql = sqlOn(client);
        const entries: AuditEntry[] = [];
        for (let after = 0; ; ) {
          const rows = await sql.rows<Parameters<typeof toAudit>[0]>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000', [
            after,
          ]);
          entries.push(...rows.map(toAudit));
          if (rows.length < 1000) break;
          after = rows[rows.length - 1]!.id;
        }
        const seq = await sql.one<{ value: number }>('SELECT value FROM audit_sequence WHERE one = 1');
        return { entries, sequence: seq && seq.value > 0 ? seq.value : null };
      },
    );
  } finally {
    await pool.end().catch(() => undefined);
  }
}
