/** The one way a version changes state on PostgreSQL: compare-and-set on the state it leaves, with its audit entry and notification. */
import { transitionRecords, type Transition } from '../transitions';
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
  const { audit, change } = transitionRecords(t);
  await appendAudit(sql, audit);
  if (change) await enqueueEvent(sql, change);
  return true;
}
