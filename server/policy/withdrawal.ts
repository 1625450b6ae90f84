/**
 * When a version that upstream stopped showing counts as withdrawn. One answer without it — a CDN that
 * has not caught up with a publish, a stale packument, a 404 during an outage — is not enough: the
 * absence must be seen again and again over a window. Pure.
 */

/** How many answers, over how long, confirm a withdrawal. */
export interface WithdrawalSettings {
  readonly confirmations: number;
  readonly windowMs: number;
}

/** What the mirror has seen of one absence. */
export interface Absence {
  readonly firstMissingAt: number;
  readonly lastMissingAt: number;
  /** Answers counted (at most one per `missGapMs`). */
  readonly misses: number;
}

/** Answers closer together than this count once, so a burst of retries is one answer, not several. */
export function missGapMs(settings: WithdrawalSettings): number {
  return Math.floor(settings.windowMs / Math.max(1, settings.confirmations));
}

/** True when the absence has been seen `confirmations` times and for at least the window. */
export function withdrawalConfirmed(absence: Absence, settings: WithdrawalSettings, now: number): boolean {
  return absence.misses >= settings.confirmations && now - absence.firstMissingAt >= settings.windowMs;
}
