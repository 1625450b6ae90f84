/** The one way a version changes state: an update guarded by the state it leaves, and its audit entry. */
import type { Statement } from 'better-sqlite3';
import type { VersionState } from '../server/policy/version-state';
import type { Db } from './database';
import type { AuditInput, AuditLog } from './audit-log';
import { eventOf, type NotifyEvent } from '../server/notify/events';
import { NotificationOutbox, type NotifyChange } from './notification-outbox';
import { assertAllowed } from '../server/policy/state-machine';

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
  /** The notification this change raises when not the default of `to` (`cascaded` for a hold cascaded from another version). */
  readonly event?: NotifyEvent;
}

/** What an applied transition writes beside the state, on either backend: its audit entry, and the notification it raises (if any). */
export function transitionRecords(t: Transition): { audit: AuditInput; change: NotifyChange | null } {
  const audit = {
    at: t.at,
    package: t.package,
    version: t.version,
    fromState: t.from,
    toState: t.to,
    cause: t.cause,
    detail: { reason: t.reason, ...t.detail },
  };
  const event = eventOf(t);
  const change = event
    ? { package: t.package, version: t.version, from: t.from, to: t.to, reason: t.reason, cause: t.cause, at: t.at, event }
    : null;
  return { audit, change };
}

export class TransitionWriter {
  private readonly setState: Statement;

  constructor(
    db: Db,
    private readonly auditLog: AuditLog,
    private readonly outbox: NotificationOutbox = new NotificationOutbox(db),
  ) {
    this.setState = db.prepare('UPDATE versions SET state = ?, reason = ?, updated_at = ? WHERE package = ? AND version = ? AND state = ?');
  }

  /**
   * Applies `t` if the version is still in `t.from`; call inside the caller's transaction. True when it
   * applied; throws TransitionRefused (writing nothing) for a change the state machine does not allow. The audit entry and the notification it raises are written in the same transaction.
   */
  apply(t: Transition): boolean {
    // The last guard: a change the state machine does not allow is refused here, never written.
    assertAllowed(t);
    if (this.setState.run(t.to, t.reason, t.at, t.package, t.version, t.from).changes === 0) return false;
    const { audit, change } = transitionRecords(t);
    this.auditLog.append(audit);
    if (change) this.outbox.enqueue(change);
    return true;
  }
}
