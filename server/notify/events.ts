/**
 * The notification events and which state change raises which. Pure. To add an event: name it in
 * NOTIFY_EVENTS (config validation, the README and the metrics follow), then either map a target state
 * to it below or set `event` on the Transition that raises it (as a cascaded hold does).
 */
import type { VersionState } from '../policy/version-state';

/** Every event a `notify:` endpoint may subscribe to. */
export const NOTIFY_EVENTS = ['held', 'approved', 'rejected', 'blocked', 'cascaded'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** The event a version reaching a state raises by default; states not named raise none. */
const BY_STATE: Partial<Record<VersionState, NotifyEvent>> = {
  held: 'held',
  approved: 'approved',
  rejected: 'rejected',
  blocked: 'blocked',
};

/** A state change as the notifier sees it: the state reached, and an explicit event when the default does not fit. */
export interface StateChange {
  readonly to: VersionState;
  /** Overrides the default event of `to` (a hold cascaded from another version is `cascaded`, not `held`). */
  readonly event?: NotifyEvent;
}

/** The event a state change raises, or null when it raises none. */
export function eventOf(change: StateChange): NotifyEvent | null {
  if (change.event !== undefined) return (NOTIFY_EVENTS as readonly string[]).includes(change.event) ? change.event : null;
  return BY_STATE[change.to] ?? null;
}

/** True for a known event name (config parsing). */
export function isNotifyEvent(value: unknown): value is NotifyEvent {
  return typeof value === 'string' && (NOTIFY_EVENTS as readonly string[]).includes(value);
}
