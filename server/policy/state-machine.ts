/**
 * The one table of the state changes a version may make, and the causes that may make each. Every
 * transition the mirror builds (result recorder, approval service, quarantine and cascade services)
 * goes through `transition()`, and storage checks it again before writing: a change that is not in
 * this table is refused, never written. Pure.
 */
import { CordonError } from '../errors';
import type { VersionState } from './version-state';

/** Why a version changes state; the audit log and notifications carry it. */
export type TransitionCause =
  | 'cooldown-ended'
  | 'analysis-flagged'
  | 'analysis-failed'
  | 'cascade-held'
  | 'approved'
  | 'approved-fast-track'
  | 'rejected-signed'
  | 'withdrawal-cleared'
  | 'integrity-changed'
  | 'integrity-mismatch'
  | 'security-placeholder'
  | 'withdrawn-upstream'
  | 'provenance-invalid';

/** What a state change is, as far as the table is concerned. */
export interface TransitionKey {
  readonly package?: string;
  readonly version?: string;
  readonly from: VersionState;
  readonly to: VersionState;
  readonly cause: string;
}

const APPROVE: readonly TransitionCause[] = ['approved', 'approved-fast-track'];
const REJECT: readonly TransitionCause[] = ['rejected-signed'];
/** Upstream bytes that contradict the pin block a version whatever its state (it was never blocked before). */
const CHANGED_BYTES: readonly TransitionCause[] = ['integrity-changed', 'integrity-mismatch'];
/** A malicious-package placeholder blocks every version not already rejected. */
const PLACEHOLDER: readonly TransitionCause[] = ['security-placeholder'];
/** A withdrawal or an attestation that does not vouch for the bytes blocks only what is not yet visible. */
const NOT_VISIBLE_BLOCK: readonly TransitionCause[] = ['withdrawn-upstream', 'provenance-invalid'];

/**
 * from → to → the causes allowed to make that change. A pair that is absent is never allowed; in
 * particular nothing goes back to `quarantined` except a signed clearing of a withdrawal block, and
 * `released`, `approved` and `rejected` only move on to `blocked` (or, for `released`, to `held` by a
 * cascade recall).
 */
export const TRANSITIONS: Readonly<Partial<Record<VersionState, Readonly<Partial<Record<VersionState, readonly TransitionCause[]>>>>>> = {
  quarantined: {
    released: ['cooldown-ended'],
    held: ['analysis-flagged', 'analysis-failed', 'cascade-held'],
    approved: APPROVE,
    rejected: REJECT,
    blocked: [...CHANGED_BYTES, ...PLACEHOLDER, ...NOT_VISIBLE_BLOCK],
  },
  held: {
    approved: APPROVE,
    rejected: REJECT,
    blocked: [...CHANGED_BYTES, ...PLACEHOLDER, ...NOT_VISIBLE_BLOCK],
  },
  released: {
    held: ['cascade-held'],
    blocked: [...CHANGED_BYTES, ...PLACEHOLDER],
  },
  approved: {
    blocked: [...CHANGED_BYTES, ...PLACEHOLDER],
  },
  rejected: {
    blocked: [...CHANGED_BYTES, ...NOT_VISIBLE_BLOCK],
  },
  blocked: {
    // A signed approval clears a confirmed withdrawal block: back to waiting, or straight to approved when it completes the quorum.
    quarantined: ['withdrawal-cleared'],
    held: ['withdrawal-cleared'],
    approved: APPROVE,
    rejected: REJECT,
  },
};

/** The causes allowed to move a version from `from` to `to` (empty: the change is never allowed). */
export function causesOf(from: VersionState, to: VersionState): readonly TransitionCause[] {
  return TRANSITIONS[from]?.[to] ?? [];
}

/** True when the table allows `t`. */
export function isAllowed(t: TransitionKey): boolean {
  return (causesOf(t.from, t.to) as readonly string[]).includes(t.cause);
}

export class TransitionRefused extends CordonError<'TRANSITION_REFUSED'> {}

/** Throws TransitionRefused unless the table allows `t`. */
export function assertAllowed(t: TransitionKey): void {
  if (isAllowed(t)) return;
  const causes = causesOf(t.from, t.to);
  const spec = t.package !== undefined ? `${t.package}@${t.version ?? '?'}` : 'a version';
  throw new TransitionRefused(
    'TRANSITION_REFUSED',
    `Refused to move ${spec} from ${t.from} to ${t.to} (cause "${t.cause}"): ${
      causes.length
        ? `only ${causes.map((c) => `"${c}"`).join(', ')} may make that change`
        : `the state machine never allows ${t.from} → ${t.to}`
    }. Nothing was written; this is a bug in the caller (server/policy/state-machine.ts lists the allowed changes).`,
  );
}

/** Returns `t` once the table allows it (throws TransitionRefused otherwise): the one way callers build a transition. */
export function transition<T extends TransitionKey>(t: T): T {
  assertAllowed(t);
  return t;
}
