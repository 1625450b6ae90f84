/** The notification outbox on PostgreSQL: events written in the transaction of the change, deliveries fanned out later. */
import { randomUUID } from 'node:crypto';
import type { NotificationPort } from '../ports';
import type { DeliveryStatus, NotifyChange, NotifyFacts } from '../notification-outbox';
import type { StoredFinding } from '../analysis-store';
import type { Sql } from './connection';
import type { Access } from './access';
import { toDelivery, toEvent, type DeliveryRow, type EventRow } from '../rows';

/** Records an event for a state change; call inside the transaction that makes the change. */
export async function enqueueEvent(sql: Sql, change: NotifyChange): Promise<void> {
  const row = await sql.one<{
    integrity: string | null;
    published_at: number | null;
    max_severity: string | null;
    findings: string | null;
  }>(
    `SELECT v.integrity, v.published_at, v.max_severity, a.findings FROM versions v
     LEFT JOIN analyses a ON a.package = v.package AND a.version = v.version AND a.integrity = v.integrity
     WHERE v.package = $1 AND v.version = $2`,
    [change.package, change.version],
  );
  const findings = row?.findings ? (JSON.parse(row.findings) as StoredFinding[]) : [];
  const facts: NotifyFacts = {
    integrity: row?.integrity ?? null,
    publishedAt: row?.published_at ?? null,
    maxSeverity: row?.max_severity ?? null,
    findingsCount: findings.length,
    worstFinding: findings[0] ?? null,
  };
  await sql.run(
    `INSERT INTO notify_events (uid, event, package, version, from_state, to_state, reason, cause, at, facts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      randomUUID(),
      change.event,
      change.package,
      change.version,
      change.from,
      change.to,
      change.reason,
      change.cause,
      change.at,
      JSON.stringify(facts),
    ],
  );
}

const DELIVERY_COLUMNS =
  'd.event_id, d.endpoint, d.body, d.status, d.attempts, d.next_at, d.last_error, e.uid, e.event, e.package, e.version';

export function notificationPort(a: Access): NotificationPort {
  return {
    enqueue: (change) => a.write((sql) => enqueueEvent(sql, change)),
    waitingEvents: (limit = 100) =>
      a.read(async (sql) =>
        (await sql.rows<EventRow>('SELECT * FROM notify_events WHERE fanned_out = 0 ORDER BY id LIMIT $1', [limit])).map(toEvent),
      ),
    fanOut: (eventId, deliveries, now) =>
      a.write(async (sql) => {
        for (const d of deliveries) {
          await sql.run(
            `INSERT INTO notify_deliveries (event_id, endpoint, body, status, attempts, next_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $5)
             ON CONFLICT DO NOTHING`,
            [eventId, d.endpoint, d.body, now, now],
          );
        }
        await sql.run('UPDATE notify_events SET fanned_out = 1 WHERE id = $1', [eventId]);
      }),
    due: (now, limit = 50) =>
      a.read(async (sql) =>
        (
          await sql.rows<DeliveryRow>(
            `SELECT ${DELIVERY_COLUMNS} FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id
           WHERE d.status = 'pending' AND d.next_at <= $1 ORDER BY d.next_at, d.event_id LIMIT $2`,
            [now, limit],
          )
        ).map(toDelivery),
      ),
    get: (eventId, endpoint) =>
      a.read(async (sql) => {
        const row = await sql.one<DeliveryRow>(
          `SELECT ${DELIVERY_COLUMNS} FROM notify_deliveries d JOIN notify_events e ON e.id = d.event_id WHERE d.event_id = $1 AND d.endpoint = $2`,
          [eventId, endpoint],
        );
        return row && toDelivery(row);
      }),
    settle: (d, status, attempts, nextAt, error, now) =>
      a.write(
        async (sql) =>
          (await sql.run(
            "UPDATE notify_deliveries SET status = $1, attempts = $2, next_at = $3, last_error = $4, updated_at = $5 WHERE event_id = $6 AND endpoint = $7 AND status = 'pending'",
            [status, attempts, nextAt, error, now, d.eventId, d.endpoint],
          )) > 0,
      ),
    counts: () =>
      a.read(async (sql) => {
        const out: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
        for (const row of await sql.rows<{ status: DeliveryStatus; n: number }>(
          'SELECT status, COUNT(*) AS n FROM notify_deliveries GROUP BY status',
        ))
          out[row.status] = row.n;
        return out;
      }),
    prune: (before) =>
      a.write(
        async (sql) =>
          (await sql.run("DELETE FROM notify_deliveries WHERE status <> 'pending' AND updated_at < $1", [before])) +
          (await sql.run(
            'DELETE FROM notify_events WHERE fanned_out = 1 AND at < $1 AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.event_id = notify_events.id)',
            [before],
          )),
      ),
  };
}
