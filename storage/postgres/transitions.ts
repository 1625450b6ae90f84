/** The one way a version changes state on PostgreSQL: compare-and-set on the state it leaves, with its audit entry and notification. */
import type { Transition } from '../transitions';
import { eventOf } from '../../server/notify/events';
import { assertAllowed } from '../../server/policy/state-machine';
import type { Sql } from './connection';
import { appendAudit } from './audit';
import { enqueueEvent } from './notifications';

/**
 * Applies `t` if the version is still in `t.from`; call inside a write transaction. True when it
 * applied; two mirrors deciding at once apply one transition, never two. Throws TransitionRefused
 * (writing nothing) for a change the state machine does not allow.
 */
export async function applyTransition(sql: Sql, t: Transition): Promise<boolean> {
  // The last guard, as in SQLite: a change the state machine does not allow is refused, never written.
  assertAllowed(t);
  const changed = await sql.run(
    'UPDATE versions SET state = $1, reason = $2, updated_at = $3 WHERE package = $4 AND version = $5 AND state = $6',
    [t.to, t.reason, t.at, t.package, t.version, t.from],
  );
  if (changed === 0) return false;
  await appendAudit(sql, {
    at: t.at,
    package: t.package,
    version: t.version,
    fromState: t.from,
    toState: t.to,
    cause: t.cause,
    detail: { reason: t.reason, ...t.detail },
  });
  const event = eventOf(t);
  if (event)
    await enqueueEvent(sql, {
      package: t.package,
      version: t.version,
      from: t.from,
      to: t.to,
      reason: t.reason,
      cause: t.cause,
      at: t.at,
      event,
    });
  return true;
}
