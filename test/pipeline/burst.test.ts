import { test } from 'node:test';
import assert from 'node:assert/strict';
import { burstFinding } from '../../server/pipeline/burst';
import { backoffMs } from '../../server/pipeline/retry-policy';
import { parseFailure, toFailure, AnalysisError } from '../../server/pipeline/analysis-job';
import type { VersionRecord } from '../../server/policy/version-state';

const T = Date.parse('2026-05-11T19:20:00Z');
const MIN = 60_000;
const rec = (pkg: string, version: string, at: number, publisher = 'ci-bot'): VersionRecord => ({
  package: pkg,
  version,
  state: 'quarantined',
  publishedAt: at,
  firstSeenAt: at,
  integrity: 'sha512-x',
  tarball: null,
  tarballUrl: null,
  blob: null,
  reason: '',
  updatedAt: at,
  analysis: 'pending',
  maxSeverity: null,
  findingsDigest: null,
  publisher,
});
const settings = { windowMs: 10 * MIN, versions: 10 };

test('the TanStack pattern (two versions each of many packages in minutes) is a medium burst', () => {
  const around: VersionRecord[] = [];
  for (let i = 0; i < 42; i++) {
    around.push(rec(`@tanstack/p${i}`, '1.0.1', T + i * 4_000));
    around.push(rec(`@tanstack/p${i}`, '1.0.2', T + i * 4_000 + 2 * MIN));
  }
  const f = burstFinding(around[0]!, around, settings);
  assert.equal(f?.rule, 'metadata/publish-burst');
  assert.equal(f?.severity, 'medium');
  assert.match(f!.message, /ci-bot published 84 versions of 42 packages within 10m/);
});

test('a monorepo release (one version of each package) is a low burst; a few versions are none', () => {
  const release = Array.from({ length: 30 }, (_, i) => rec(`@babel/p${i}`, '7.26.0', T + i * 1_000));
  assert.equal(burstFinding(release[0]!, release, settings)?.severity, 'low');
  assert.equal(burstFinding(release[0]!, release.slice(0, 9), settings), null, 'below the threshold');
  const onePackage = Array.from({ length: 20 }, (_, i) => rec('solo', `1.0.${i}`, T + i * 1_000));
  assert.equal(burstFinding(onePackage[0]!, onePackage, settings), null, 'one package is not a cross-package burst');
  const spread = Array.from({ length: 20 }, (_, i) => rec(`p${i}`, '1.0.0', T + i * 20 * MIN));
  assert.equal(burstFinding(spread[0]!, spread, settings), null, 'outside the window');
  assert.equal(burstFinding({ ...release[0]!, publisher: null }, release, settings), null, 'no publisher, no burst');
});

test('backoff and failure serialisation', () => {
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => backoffMs(n, 600_000)),
    [2_000, 4_000, 8_000, 16_000],
  );
  assert.equal(backoffMs(20, 600_000), 600_000);
  assert.equal(backoffMs(5_000, 600_000), 600_000, 'no overflow however many attempts');
  assert.deepEqual(parseFailure('INTEGRITY_MISMATCH: bytes changed'), { code: 'INTEGRITY_MISMATCH', message: 'bytes changed' });
  assert.deepEqual(parseFailure('socket hang up'), { code: 'TRANSIENT', message: 'socket hang up' });
  assert.deepEqual(toFailure(new AnalysisError('TIMEOUT', 'slow')), { code: 'TIMEOUT', message: 'slow' });
  assert.equal(new AnalysisError('TIMEOUT', 'x').retryable, true);
  assert.equal(new AnalysisError('TARBALL_UNREADABLE', 'x').retryable, false);
});
