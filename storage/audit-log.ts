/** The append-only audit log: every store that changes state writes through this one appender. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import type { VersionState } from '../server/policy/version-state';

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
}

interface AuditRow {
  id: number;
  at: number;
  package: string;
  version: string | null;
  from_state: VersionState | null;
  to_state: VersionState | null;
  cause: string;
  detail: string | null;
}

const toAudit = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  package: r.package,
  version: r.version,
  fromState: r.from_state,
  toState: r.to_state,
  cause: r.cause,
  detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
});

export class AuditLog {
  private readonly stmt: Record<string, Statement>;

  constructor(db: Db) {
    this.stmt = {
      insert: db.prepare('INSERT INTO audit_log (at, package, version, from_state, to_state, cause, detail) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      ofPackage: db.prepare('SELECT * FROM audit_log WHERE package = ? AND id > ? ORDER BY id LIMIT ?'),
      all: db.prepare('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?'),
    };
  }

  /** Appends one entry; call inside the transaction that makes the change it records. */
  append(entry: AuditInput): void {
    this.stmt.insert!.run(entry.at, entry.package, entry.version, entry.fromState, entry.toState, entry.cause, entry.detail === null ? null : JSON.stringify(entry.detail));
  }

  /** Entries of one package after `afterId`, oldest first. */
  ofPackage(name: string, afterId = 0, limit = 100): AuditEntry[] {
    return (this.stmt.ofPackage!.all(name, afterId, limit) as AuditRow[]).map(toAudit);
  }

  /** Entries of every package after `afterId`, oldest first. */
  page(afterId = 0, limit = 100): AuditEntry[] {
    return (this.stmt.all!.all(afterId, limit) as AuditRow[]).map(toAudit);
  }
}
