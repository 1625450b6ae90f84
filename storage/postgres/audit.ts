/** The audit log on PostgreSQL: appends chained in TypeScript (the same hash as SQLite's), checked by the database's trigger. */
import type { AuditPort } from '../ports';
import { chainAudit, type AuditEntry, type AuditInput } from '../audit-log';
import type { Sql } from './connection';
import type { Access } from './access';
import { toAudit, type AuditRow } from '../rows';

export async function auditHead(sql: Sql): Promise<{ id: number; hash: string } | null> {
  return (await sql.one<{ id: number; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1')) ?? null;
}

/**
 * Appends one entry chained to the head. Call inside a write transaction: it holds the write lock, so
 * no other mirror appends between reading the head and inserting (the trigger refuses anything else).
 */
export async function appendAudit(sql: Sql, entry: AuditInput): Promise<AuditEntry> {
  const { entry: next, detailText } = chainAudit(await auditHead(sql), entry);
  await sql.run(
    'INSERT INTO audit_log (id, at, package, version, from_state, to_state, cause, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
    [next.id, next.at, next.package, next.version, next.fromState, next.toState, next.cause, detailText, next.prevHash, next.hash],
  );
  return next;
}

export function auditPort(a: Access): AuditPort {
  return {
    append: (entry) => a.write((sql) => appendAudit(sql, entry)),
    head: () => a.read(auditHead),
    ofPackage: (name, afterId = 0, limit = 100) =>
      a.read(async (sql) =>
        (
          await sql.rows<AuditRow>('SELECT * FROM audit_log WHERE package = $1 AND id > $2 ORDER BY id LIMIT $3', [name, afterId, limit])
        ).map(toAudit),
      ),
    page: (afterId = 0, limit = 100) =>
      a.read(async (sql) =>
        (await sql.rows<AuditRow>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit])).map(toAudit),
      ),
    pageBefore: (beforeId, limit = 100) =>
      a.read(async (sql) =>
        (await sql.rows<AuditRow>('SELECT * FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2', [beforeId, limit])).map(toAudit),
      ),
    // The highest id ever appended, kept by the append trigger in the same transaction: a tail removed behind Cordon's back shows as a gap.
    sequence: () =>
      a.read(async (sql) => {
        const row = await sql.one<{ value: number }>('SELECT value FROM audit_sequence WHERE one = 1');
        return row && row.value > 0 ? row.value : null;
      }),
  };
}
