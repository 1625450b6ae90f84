/** The quarantine policy: pure functions of a version record, the rule for its package and `now`. */
import type { EffectiveRule } from '../config/package-rules';
import { formatDuration } from '../config/duration';
import type { RefusalCode, VersionDecision, VersionRecord, VersionState } from './version-state';

/**
 * The publish time the cooldown counts from. Upstream's time is trusted only when it is not after the
 * moment we first saw the version (a version cannot be published after it was seen); otherwise, or
 * when it is missing, the version counts as published at first sight.
 */
export function effectivePublishedAt(record: Pick<VersionRecord, 'publishedAt' | 'firstSeenAt'>): number {
  const { publishedAt, firstSeenAt } = record;
  return publishedAt !== null && Number.isFinite(publishedAt) && publishedAt <= firstSeenAt ? publishedAt : firstSeenAt;
}

/** When the cooldown of a version ends under `rule`. */
export function cooldownEndsAt(record: Pick<VersionRecord, 'publishedAt' | 'firstSeenAt'>, rule: EffectiveRule): number {
  return effectivePublishedAt(record) + rule.cooldownMs;
}

/** The state a version gets when it is first seen, and why. `packageIsNew`: its package had never been seen. */
export function initialState(
  record: Pick<VersionRecord, 'publishedAt' | 'firstSeenAt'>,
  rule: EffectiveRule,
  packageIsNew: boolean,
): { state: VersionState; reason: string } {
  const publishedAt = record.publishedAt;
  if (packageIsNew && publishedAt !== null && publishedAt + rule.cooldownMs <= record.firstSeenAt) {
    return {
      state: 'released',
      reason: `baseline: published ${new Date(publishedAt).toISOString()}, before the ${formatDuration(rule.cooldownMs)} cooldown when the package was first seen`,
    };
  }
  return {
    state: 'quarantined',
    reason:
      publishedAt === null ? 'new version without an upstream publish time; cooldown counts from first sight' : 'new version in cooldown',
  };
}

const HIDDEN: Record<Exclude<VersionState, 'released' | 'approved' | 'quarantined'>, RefusalCode> = {
  held: 'HELD',
  rejected: 'REJECTED',
  blocked: 'BLOCKED',
};

/**
 * Decides whether a version is visible at `now`. Released and approved versions are; a quarantined one
 * becomes visible once its cooldown is over unless its rule requires an approval; every other state,
 * and any state this code does not know, is hidden.
 */
export function decide(record: VersionRecord, rule: EffectiveRule, now: number): VersionDecision {
  switch (record.state) {
    case 'released':
    case 'approved':
      return { visible: true, state: record.state, releaseAt: null, reason: record.reason };
    case 'quarantined': {
      if (rule.approvalAlways) {
        return {
          visible: false,
          state: 'quarantined',
          code: 'QUARANTINED',
          releaseAt: null,
          reason: `every new version of packages matching "${rule.matchedBy}" needs a signed approval`,
        };
      }
      const releaseAt = cooldownEndsAt(record, rule);
      if (record.analysis === 'flagged') return { visible: false, state: 'held', code: 'HELD', releaseAt: null, reason: record.reason };
      if (record.analysis === 'failed')
        return { visible: false, state: 'held', code: 'HELD', releaseAt: null, reason: 'its analysis failed; a person must review it' };
      if (now < releaseAt)
        return {
          visible: false,
          state: 'quarantined',
          code: 'QUARANTINED',
          releaseAt,
          reason: `published less than the ${formatDuration(rule.cooldownMs)} cooldown ago`,
        };
      // Time alone is not enough: only a finished, clean analysis of these bytes releases a version.
      if (record.analysis === 'clean')
        return { visible: true, state: 'released', releaseAt, reason: 'cooldown ended and its analysis is clean' };
      return {
        visible: false,
        state: 'quarantined',
        code: 'QUARANTINED',
        releaseAt,
        reason: 'its cooldown is over but its analysis has not finished',
      };
    }
    case 'held':
    case 'rejected':
    case 'blocked':
      return { visible: false, state: record.state, code: HIDDEN[record.state], releaseAt: null, reason: record.reason };
    default:
      return {
        visible: false,
        state: 'blocked',
        code: 'BLOCKED',
        releaseAt: null,
        reason: `unknown state ${JSON.stringify(record.state)} in the store`,
      };
  }
}
