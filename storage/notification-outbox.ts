/**
 * The notification outbox. A state change that raises an event writes one `notify_events` row in its
 * own transaction (so no change is announced that did not happen, and none is lost by a crash); the
 * notifier later fans each event out to one `notify_deliveries` row per endpoint, whose body is fixed
 * then, so every retry sends the same bytes under the same id.
 */
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import type { VersionState } from '../server/policy/version-state';
import type { StoredFinding } from './analysis-store';
import { toDelivery, toEvent, type DeliveryRow, type EventRow } from './rows';

/** What the version looked like when the event happened. */
export interface NotifyFacts {
  readonly integrity: string | null;
  readonly publishedAt: number | null;
  readonly maxSeverity: string | null;
  readonly findingsCount: number;
  /** The first (most severe) finding of the analysis of these bytes, if any. */
  readonly worstFinding: StoredFinding | null;
}

/** An event to announce, as the state change that raised it wrote it. */
export interface StoredNotifyEvent {
  readonly id: number;
  /** The delivery id every endpoint and every retry sees. */
  readonly uid: string;
  readonly event: string;
  readonly package: string;
  readonly version: string;
  readonly fromState: VersionState | null;
  readonly toState: VersionState;
  readonly reason: string;
  readonly cause: string;
  readonly at: number;
  readonly facts: NotifyFacts;
}

/** What to enqueue: a change of one version's state and the event it raises. */
export interface NotifyChange {
  readonly package: string;
  readonly version: string;
  readonly from: VersionState | null;
  readonly to: VersionState;
  readonly reason: string;
  readonly cause: string;
  readonly at: number;
  readonly event: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event's delivery to one endpoint. */
export interface Delivery {
  readonly eventId: number;
  readonly uid: string;
  readonly event: string;
  readonly package: string;
  readonly version: string;
  readonly endpoint: string;
  readonly body: string;
  readonly status: DeliveryStatus;
  /** Attempts made so far. */
  readonly attempts: number;
  readonly nextAt: number;
  readonly lastError: string | null;
}

export class NotificationOutbox {
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly db: Db) {
    this.stmt = {
      facts: db.prepare(
        `SELECT v.integrity, v.published_at, v.max_severity, a.findings FROM versions v
         LEFT JOIN analyses a ON a.package = v.package AND a.version = v.version AND a.integrity = v.integrity
         WHERE v.package = ? AND v.version = ?`,
      ),
      insertEvent: db.prepare(
        `INSERT INTO notify_events (uid, event, package, version, from_state, to_state, reason, cause, at, facts)
         VALUES (@uid, @event, @package, @version, @from, @to, @reason, @cause, @at, @facts)`,
      ),
      waiting: db.prepare('SELECT * FROM notify_events WHERE fanned_out = 0 ORDER BY id LIMIT ?'),
      insertDelivery: db.prepare(
        `INSERT OR IGNORE INTO notify_deliveries (event_id, endpoint, body, status, attempts, next_at, updated_at)
         VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
      ),
      markFannedOut: db.prepare('UPDATE notify_events SET fanned_out = 1 WHERE id = ?'),
      due: db.prepare(
        `SELECT d.*, e.uid, e.event, e.package, e.version FROM notify_deliveries d INDEXED BY notify_deliveries_due JOIN notify_events e ON e.id = d.event_id
         WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.next_at, d.event_id LIMIT ?`,
      ),
      settle: db.prepare(
        "UPDATE notify_deliveries SET status = ?, attempts = ?, next_at = ?, last_error = ?, updated_at = ? WHERE event_id = ? AND endpoint = ? AND status = 'pending'",
      ),
      get: db.prepare(
        'SELECT d.*, e.uid, e.event, e.package, e.version FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id WHERE d.event_id = ? AND d.endpoint = ?',
      ),
      counts: db.prepare('SELECT status, COUNT(*) AS n FROM notify_deliveries GROUP BY status'),
      pruneDeliveries: db.prepare("DELETE FROM notify_deliveries WHERE status != 'pending' AND updated_at < ?"),
      pruneEvents: db.prepare(
        'DELETE FROM notify_events WHERE fanned_out = 1 AND at < ? AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.event_id = notify_events.id)',
      ),
    };
  }

  /** Records an event for a state change; call inside the transaction that makes the change. */
  enqueue(change: NotifyChange): void {
    const row = this.stmt.facts!.get(change.package, change.version) as
      | { integrity: string | null; published_at: number | null; max_severity: string | null; findings: string | null }
      | undefined;
    const findings = row?.findings ? (JSON.parse(row.findings) as StoredFinding[]) : [];
    const facts: NotifyFacts = {
      integrity: row?.integrity ?? null,
      publishedAt: row?.published_at ?? null,
      maxSeverity: row?.max_severity ?? null,
      findingsCount: findings.length,
      worstFinding: findings[0] ?? null,
    };
    this.stmt.insertEvent!.run({ ...change, uid: randomUUID(), facts: JSON.stringify(facts) });
  }

  /** Events not yet fanned out to endpoints, oldest first. */
  waitingEvents(limit = 100): StoredNotifyEvent[] {
    return (this.stmt.waiting!.all(limit) as EventRow[]).map(toEvent);
  }

  /** Creates one delivery per endpoint (once: a repeated fan-out adds nothing) and marks the event fanned out. */
  fanOut(eventId: number, deliveries: ReadonlyArray<{ endpoint: string; body: string }>, now: number): void {
    this.db.transaction(() => {
      for (const d of deliveries) this.stmt.insertDelivery!.run(eventId, d.endpoint, d.body, now, now);
      this.stmt.markFannedOut!.run(eventId);
    })();
  }

  /** Pending deliveries whose next attempt is due at `now`, soonest first. */
  due(now: number, limit = 50): Delivery[] {
    return (this.stmt.due!.all(now, limit) as DeliveryRow[]).map(toDelivery);
  }

  /** One delivery, or undefined. */
  get(eventId: number, endpoint: string): Delivery | undefined {
    const row = this.stmt.get!.get(eventId, endpoint) as DeliveryRow | undefined;
    return row && toDelivery(row);
  }

  /** Records the outcome of an attempt: delivered, failed for good, or pending again at `nextAt`. Only a pending delivery changes. */
  settle(
    d: Pick<Delivery, 'eventId' | 'endpoint'>,
    status: DeliveryStatus,
    attempts: number,
    nextAt: number,
    error: string | null,
    now: number,
  ): boolean {
    return this.stmt.settle!.run(status, attempts, nextAt, error, now, d.eventId, d.endpoint).changes > 0;
  }

  /** How many deliveries are in each status. */
  counts(): Record<DeliveryStatus, number> {
    const out: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
    for (const row of this.stmt.counts!.all() as { status: DeliveryStatus; n: number }[]) out[row.status] = row.n;
    return out;
  }

  /** Drops finished deliveries last changed before `before`, and events left with none. */
  prune(before: number): number {
    return this.db.transaction(() => this.stmt.pruneDeliveries!.run(before).changes + this.stmt.pruneEvents!.run(before).changes)();
  }
}
