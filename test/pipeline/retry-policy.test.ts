import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextAttemptAt } from '../../server/pipeline/retry-policy';
import { withdrawalConfirmed, missGapMs } from '../../server/policy/withdrawal';
import type { AnalysisErrorCode } from '../../server/pipeline/analysis-job';

const HOUR = 3_600_000;
const settings = { attempts: 5, retryForMs: 6 * HOUR, backoffMaxMs: 600_000 };

test('transient faults are retried for the window, with capped backoff; input that can never succeed is not retried', () => {
  const cases: Array<[string, AnalysisErrorCode, number, number, number | null]> = [
    // name, code, attempts, failing for (ms), expected wait (null: give up)
    ['first transient fault', 'TRANSIENT', 1, 0, 2_000],
    ['fifth transient fault, 30 s into an outage', 'TRANSIENT', 5, 30_000, 32_000],
    ['transient faults for 5 hours', 'TRANSIENT', 40, 5 * HOUR, 600_000],
    ['transient faults for 6 hours', 'TRANSIENT', 40, 6 * HOUR, null],
    ['few attempts, long outage (a mirror that was down)', 'TRANSIENT', 2, 7 * HOUR, 4_000],
    ['an analysis that ran out of time', 'TIMEOUT', 2, 0, 4_000],
    ['an analysis that ran out of time, every time', 'TIMEOUT', 5, 0, null],
    ['changed bytes', 'INTEGRITY_MISMATCH', 1, 0, null],
    ['an unreadable tarball', 'TARBALL_UNREADABLE', 1, 0, null],
    ['a tarball too large', 'TARBALL_TOO_LARGE', 1, 0, null],
    ['an attestation that does not verify', 'PROVENANCE_INVALID', 1, 0, null],
  ];
  const now = 1_000_000_000;
  for (const [name, code, attempts, failingFor, wait] of cases) {
    const at = nextAttemptAt({ attempts, failingSince: now - failingFor }, code, now, settings);
    assert.equal(at === null ? null : at - now, wait, name);
  }
});

test('a withdrawal is confirmed by enough answers over the window, not by one', () => {
  const s = { confirmations: 3, windowMs: 30 * 60_000 };
  assert.equal(missGapMs(s), 10 * 60_000);
  const t = 5_000_000;
  assert.equal(withdrawalConfirmed({ firstMissingAt: t, lastMissingAt: t, misses: 1 }, s, t), false, 'one answer');
  assert.equal(
    withdrawalConfirmed({ firstMissingAt: t, lastMissingAt: t + 20 * 60_000, misses: 3 }, s, t + 20 * 60_000),
    false,
    'three answers in 20 minutes',
  );
  assert.equal(
    withdrawalConfirmed({ firstMissingAt: t, lastMissingAt: t + 30 * 60_000, misses: 2 }, s, t + 30 * 60_000),
    false,
    'two answers in 30 minutes',
  );
  assert.equal(withdrawalConfirmed({ firstMissingAt: t, lastMissingAt: t + 30 * 60_000, misses: 3 }, s, t + 30 * 60_000), true);
});
