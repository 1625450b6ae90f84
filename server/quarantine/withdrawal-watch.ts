/**
 * Watches versions upstream has stopped showing. Every answer without a version (a complete packument
 * from the sweeper or a job, a 404 for its tarball) is one miss; the version is called withdrawn only
 * when the misses confirm it over the window (see policy/withdrawal.ts). A person can clear a withdrawal
 * block with a signed decision; the same absence then blocks it no more.
 */
import type { StoredAbsence } from '../../storage';
import type { WithdrawalPort } from '../../storage/ports';
import { missGapMs, withdrawalConfirmed, type WithdrawalSettings } from '../policy/withdrawal';

/** Cause written to the audit log when a confirmed withdrawal blocks a version. */
export const WITHDRAWN_CAUSE = 'withdrawn-upstream';

/** What one more answer without the version means. */
export interface MissVerdict {
  /** Withdrawn: block it (unless `cleared`). */
  readonly confirmed: boolean;
  /** A person cleared this absence: keep trying, never block for it. */
  readonly cleared: boolean;
  readonly absence: StoredAbsence;
  /** When the next answer would count: retry then. */
  readonly askAgainAt: number;
}

export class WithdrawalWatch {
  constructor(
    private readonly store: WithdrawalPort,
    readonly settings: WithdrawalSettings,
  ) {}

  /** Records one answer without `name@version` (`source` says which) and returns what it now means. */
  async missing(name: string, version: string, now: number, source: string): Promise<MissVerdict> {
    const gap = missGapMs(this.settings);
    const absence = await this.store.missing(name, version, now, source, gap);
    const cleared = absence.clearedAt !== null;
    return {
      confirmed: !cleared && withdrawalConfirmed(absence, this.settings, now),
      cleared,
      absence,
      askAgainAt: Math.max(now, absence.lastMissingAt) + gap,
    };
  }

  /** Forgets the absences of versions upstream shows again. */
  shown(name: string, listed: (version: string) => boolean): Promise<void> {
    return this.store.shown(name, listed);
  }

  /** True when a version of `name` is missing and not yet confirmed or cleared. */
  hasPending(name: string): Promise<boolean> {
    return this.store.hasPending(name);
  }

  /** True when a person cleared the version's withdrawal block. */
  async cleared(name: string, version: string): Promise<boolean> {
    return ((await this.store.of(name, version))?.clearedAt ?? null) !== null;
  }

  /** True when the version's last state change was a block for a confirmed withdrawal. */
  async blockedByWithdrawal(name: string, version: string): Promise<boolean> {
    return (await this.store.lastTransitionCause(name, version)) === WITHDRAWN_CAUSE;
  }

  /** Marks the absence cleared by `by` (inside the decision's transaction). */
  clear(name: string, version: string, at: number, by: string): Promise<void> {
    return this.store.clear(name, version, at, by);
  }

  /** Evidence for the audit entry of a withdrawal block. */
  static detail(absence: StoredAbsence): Record<string, unknown> {
    return { misses: absence.misses, missingSince: new Date(absence.firstMissingAt).toISOString(), lastAnswer: absence.lastSource };
  }
}
