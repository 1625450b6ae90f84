import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, effectivePublishedAt, initialState } from '../../server/policy/lifecycle';
import type { VersionRecord, VersionState } from '../../server/policy/version-state';
import type { EffectiveRule } from '../../server/config/package-rules';

const H = 3_600_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const rule72h: EffectiveRule = { cooldownMs: 72 * H, approvalAlways: false, matchedBy: null };
const ruleZero: EffectiveRule = { cooldownMs: 0, approvalAlways: false, matchedBy: '@acme/*' };
const ruleApproval: EffectiveRule = { cooldownMs: 72 * H, approvalAlways: true, matchedBy: '@bank/*' };

function record(state: VersionState | string, publishedAt: number | null, firstSeenAt: number): VersionRecord {
  return {
    package: 'p',
    version: '1.0.0',
    state: state as VersionState,
    publishedAt,
    firstSeenAt,
    integrity: null,
    tarball: null,
    tarballUrl: null,
    blob: null,
    reason: 'r',
    updatedAt: firstSeenAt,
    analysis: 'clean',
    maxSeverity: null,
    findingsDigest: null,
    publisher: null,
  };
}

describe('decide', () => {
  const cases: Array<[string, VersionRecord, EffectiveRule, boolean, string, string | undefined, number | null]> = [
    // name, record, rule, visible, state, code, releaseAt
    ['released stays visible', record('released', NOW - 100 * H, NOW - 99 * H), rule72h, true, 'released', undefined, null],
    ['approved stays visible', record('approved', NOW - H, NOW - H), rule72h, true, 'approved', undefined, null],
    [
      'quarantined inside cooldown is hidden',
      record('quarantined', NOW - H, NOW - H),
      rule72h,
      false,
      'quarantined',
      'QUARANTINED',
      NOW + 71 * H,
    ],
    [
      'quarantined at the exact end is visible',
      record('quarantined', NOW - 72 * H, NOW - 72 * H),
      rule72h,
      true,
      'released',
      undefined,
      NOW,
    ],
    [
      'one ms before the end is hidden',
      record('quarantined', NOW - 72 * H + 1, NOW - 72 * H + 1),
      rule72h,
      false,
      'quarantined',
      'QUARANTINED',
      NOW + 1,
    ],
    [
      'missing publish time counts from first sight',
      record('quarantined', null, NOW - 10 * H),
      rule72h,
      false,
      'quarantined',
      'QUARANTINED',
      NOW + 62 * H,
    ],
    [
      'publish time after first sight counts from first sight',
      record('quarantined', NOW + 5 * H, NOW - 10 * H),
      rule72h,
      false,
      'quarantined',
      'QUARANTINED',
      NOW + 62 * H,
    ],
    [
      'old publish time, seen late, is released by time',
      record('quarantined', NOW - 100 * H, NOW - H),
      rule72h,
      true,
      'released',
      undefined,
      NOW - 28 * H,
    ],
    ['zero cooldown releases at once', record('quarantined', NOW - 1, NOW - 1), ruleZero, true, 'released', undefined, NOW - 1],
    [
      'approval: always never releases by time',
      record('quarantined', NOW - 1000 * H, NOW - 1000 * H),
      ruleApproval,
      false,
      'quarantined',
      'QUARANTINED',
      null,
    ],
    ['held is hidden whatever the time', record('held', NOW - 1000 * H, NOW - 1000 * H), rule72h, false, 'held', 'HELD', null],
    ['rejected is hidden', record('rejected', NOW - 1000 * H, NOW - 1000 * H), rule72h, false, 'rejected', 'REJECTED', null],
    ['blocked is hidden', record('blocked', NOW - 1000 * H, NOW - 1000 * H), rule72h, false, 'blocked', 'BLOCKED', null],
    ['an unknown state is hidden', record('mystery', NOW - 1000 * H, NOW - 1000 * H), rule72h, false, 'blocked', 'BLOCKED', null],
    ['an empty state is hidden', record('', NOW - 1000 * H, NOW - 1000 * H), rule72h, false, 'blocked', 'BLOCKED', null],
  ];
  for (const [name, rec, rule, visible, state, code, releaseAt] of cases) {
    test(name, () => {
      const d = decide(rec, rule, NOW);
      assert.equal(d.visible, visible);
      assert.equal(d.state, state);
      assert.equal(d.code, code);
      assert.equal(d.releaseAt, releaseAt);
      assert.ok(d.reason.length > 0);
    });
  }
});

describe('initialState', () => {
  const cases: Array<[string, number | null, boolean, EffectiveRule, VersionState]> = [
    ['old version of a new package is baseline', NOW - 100 * H, true, rule72h, 'released'],
    ['recent version of a new package is quarantined', NOW - H, true, rule72h, 'quarantined'],
    ['exactly one cooldown old is baseline', NOW - 72 * H, true, rule72h, 'released'],
    ['old version of a known package is quarantined', NOW - 100 * H, false, rule72h, 'quarantined'],
    ['no publish time is never baseline', null, true, rule72h, 'quarantined'],
    ['zero cooldown: new package is baseline', NOW, true, ruleZero, 'released'],
    ['approval rule does not touch the baseline', NOW - 100 * H, true, ruleApproval, 'released'],
  ];
  for (const [name, publishedAt, isNew, rule, expected] of cases) {
    test(name, () => assert.equal(initialState({ publishedAt, firstSeenAt: NOW }, rule, isNew).state, expected));
  }
});

test('effectivePublishedAt ignores NaN and future times', () => {
  assert.equal(effectivePublishedAt({ publishedAt: Number.NaN, firstSeenAt: NOW }), NOW);
  assert.equal(effectivePublishedAt({ publishedAt: NOW + 1, firstSeenAt: NOW }), NOW);
  assert.equal(effectivePublishedAt({ publishedAt: NOW - 1, firstSeenAt: NOW }), NOW - 1);
});
