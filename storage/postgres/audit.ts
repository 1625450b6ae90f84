/** The audit log on PostgreSQL: appends chained in TypeScript (the same hash as SQLite's), checked by the database's trigger. */
import type { AuditPort } from '../ports';
import { auditEntryHash, GENESIS_HASH, type AuditEntry, type AuditInput } from '../audit-log';
import type { VersionState } from '../../server/policy/version-state';
import type { Sql } from './connection';
import type { Access } from './access';

export interface AuditRow {
  id: number;
  at: number;
  package: string;
  version: string | null;
  from_state: VersionState | null;
  to_state: VersionState | null;
  cause: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export const toAudit = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  package: r.package,
  version: r.version,
  fromState: r.from_state,
  toState: r.to_state,
  cause: r.cause,
  detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
  prevHash: r.prev_hash,
  hash: r.hash,
});

export async function auditHead(sql: Sql): Promise<{ id: number; hash: string } | null> {
  return (await sql.one<{ id: number; hash: string }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1')) ?? null;
}

/**
 * Appends one entry chained to the head. Call inside a write transaction: it holds the write lock, so
 * no other mirror appends between reading the head and inserting (the trigger refuses anything else).
 */
export async function appendAudit(sql: Sql, entry: AuditInput): Promise<AuditEntry> {
  const last = await auditHead(sql);
  // Stored as parsed back, so the hash covers exactly what a reader gets (undefined fields dropped).
  const detailText = entry.detail === null ? null : JSON.stringify(entry.detail);
  const stored: Omit<AuditEntry, 'hash'> = {
    id: (last?.id ?? 0) + 1, at: entry.at, package: entry.package, version: entry.version, fromState: entry.fromState, toState: entry.toState, cause: entry.cause,
    detail: detailText === null ? null : (JSON.parse(detailText) as Record<string, unknown>), prevHash: last?.hash ?? GENESIS_HASH,
  };
  const hash = auditEntryHash(stored);
  await sql.run(
    'INSERT INTO audit_log (id, at, package, version, from_state, to_state, cause, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
    [stored.id, stored.at, stored.package, stored.version, stored.fromState, stored.toState, stored.cause, detailText, stored.prevHash, hash],
  );
  return { ...stored, hash };
}

export function auditPort(a: Access): AuditPort {
  return {
    append: (entry) => a.write((sql) => appendAudit(sql, entry)),
    head: () => a.read(auditHead),
    ofPackage: (name, afterId = 0, limit = 100) => a.read(async (sql) => (await sql.rows<AuditRow>('SELECT * FROM audit_log WHERE package = $1 AND id > $2 ORDER BY id LIMIT $3', [name, afterId, limit])).map(toAudit)),
    page: (afterId = 0, limit = 100) => a.read(async (sql) => (await sql.rows<AuditRow>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit])).map(toAudit)),
    pageBefore: (beforeId, limit = 100) => a.read(async (sql) => (await sql.rows<AuditRow>('SELECT * FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2', [beforeId, limit])).map(toAudit)),
    // The highest id ever appended, kept by the append trigger in the same transaction: a tail removed behind Cordon's back shows as a gap.
    sequence: () => a.read(async (sql) => {
      const row = await sql.one<{ value: number }>('SELECT value FROM audit_sequence WHERE one = 1');
      return row && row.value > 0 ? row.value : null;
    }),
  };
}
