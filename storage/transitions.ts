/** The one way a version changes state: an update guarded by the state it leaves, and its audit entry. */
import type { Statement } from 'better-sqlite3';
import type { VersionState } from '../server/policy/version-state';
import type { Db } from './database';
import type { AuditLog } from './audit-log';

/** A change of state, written together with its audit entry. */
export interface Transition {
  readonly package: string;
  readonly version: string;
  readonly from: VersionState;
  readonly to: VersionState;
  readonly reason: string;
  /** Short machine-readable cause for the audit log (`first-sight`, `cooldown-ended`, `integrity-changed`, …). */
  readonly cause: string;
  readonly at: number;
  readonly detail?: Record<string, unknown>;
}

export class TransitionWriter {
  private readonly setState: Statement;

  constructor(
    db: Db,
    private readonly auditLog: AuditLog,
  ) {
    this.setState = db.prepare('UPDATE versions SET state = ?, reason = ?, updated_at = ? WHERE package = ? AND version = ? AND state = ?');
  }

  /** Applies `t` if the version is still in `t.from`; call inside the caller's transaction. True when it applied. */
  apply(t: Transition): boolean {
    if (this.setState.run(t.to, t.reason, t.at, t.package, t.version, t.from).changes === 0) return false;
    this.auditLog.append({ at: t.at, package: t.package, version: t.version, fromState: t.from, toState: t.to, cause: t.cause, detail: { reason: t.reason, ...t.detail } });
    return true;
  }
}
