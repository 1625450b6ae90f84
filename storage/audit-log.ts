/**
 * The append-only audit log: every store that changes state writes through this one appender. Entries
 * are hash-chained (each names the hash of the one before), so an edited or deleted entry is detected.
 */
import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import type { VersionState } from '../server/policy/version-state';
import { canonicalJson } from '../server/canonical-json';
import { toAudit, type AuditRow } from './rows';

/** `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** What to append; `at` in epoch ms. */
export interface AuditInput {
  readonly at: number;
  readonly package: string;
  readonly version: string | null;
  readonly fromState: VersionState | null;
  readonly toState: VersionState | null;
  readonly cause: string;
  readonly detail: Record<string, unknown> | null;
}

/** One audit log entry as stored. */
export interface AuditEntry extends AuditInput {
  readonly id: number;
  /** Hash of the entry before (GENESIS_HASH for the first). */
  readonly prevHash: string;
  readonly hash: string;
}

/** sha256 hex over the canonical JSON of every field of the entry and the hash before it. */
export function auditEntryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { id, at, package: pkg, version, fromState, toState, cause, detail, prevHash } = entry;
  return createHash('sha256')
    .update(canonicalJson({ v: 'cordon-audit/1', id, at, package: pkg, version, fromState, toState, cause, detail, prevHash }), 'utf8')
    .digest('hex');
}

/**
 * The entry that follows `last` (the current head; none for an empty log), with its detail as the text
 * to store. Both backends append through this, so they chain and hash alike.
 */
export function chainAudit(
  last: { id: number; hash: string } | null | undefined,
  input: AuditInput,
): { entry: AuditEntry; detailText: string | null } {
  // Stored as parsed back, so the hash covers exactly what a reader gets (undefined fields dropped).
  const detailText = input.detail === null ? null : JSON.stringify(input.detail);
  const stored: Omit<AuditEntry, 'hash'> = {
    id: (last?.id ?? 0) + 1,
    at: input.at,
    package: input.package,
    version: input.version,
    fromState: input.fromState,
    toState: input.toState,
    cause: input.cause,
    detail: detailText === null ? null : (JSON.parse(detailText) as Record<string, unknown>),
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  return { entry: { ...stored, hash: auditEntryHash(stored) }, detailText };
}

export class AuditLog {
  private readonly stmt: Record<string, Statement>;

  constructor(db: Db) {
    this.stmt = {
      insert: db.prepare(
        'INSERT INTO audit_log (id, at, package, version, from_state, to_state, cause, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      last: db.prepare('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1'),
      ofPackage: db.prepare('SELECT * FROM audit_log WHERE package = ? AND id > ? ORDER BY id LIMIT ?'),
      all: db.prepare('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?'),
      before: db.prepare('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?'),
    };
  }

  /**
   * Appends one entry chained to the last; call inside the transaction that makes the change it
   * records. (A unique index on prev_hash makes a second writer that raced for the same tail fail.)
   */
  append(entry: AuditInput): AuditEntry {
    const { entry: next, detailText } = chainAudit(this.stmt.last!.get() as { id: number; hash: string } | undefined, entry);
    this.stmt.insert!.run(
      next.id,
      next.at,
      next.package,
      next.version,
      next.fromState,
      next.toState,
      next.cause,
      detailText,
      next.prevHash,
      next.hash,
    );
    return next;
  }

  /** The newest entry's id and hash (what an auditor writes down to detect a truncated tail later). */
  head(): { id: number; hash: string } | null {
    return (this.stmt.last!.get() as { id: number; hash: string } | undefined) ?? null;
  }

  /** Entries of one package after `afterId`, oldest first. */
  ofPackage(name: string, afterId = 0, limit = 100): AuditEntry[] {
    return (this.stmt.ofPackage!.all(name, afterId, limit) as AuditRow[]).map(toAudit);
  }

  /** Entries before `beforeId`, newest first (the audit page reads backwards from the head). */
  pageBefore(beforeId: number, limit = 100): AuditEntry[] {
    return (this.stmt.before!.all(beforeId, limit) as AuditRow[]).map(toAudit);
  }

  /** Entries of every package after `afterId`, oldest first. */
  page(afterId = 0, limit = 100): AuditEntry[] {
    return (this.stmt.all!.all(afterId, limit) as AuditRow[]).map(toAudit);
  }
}
