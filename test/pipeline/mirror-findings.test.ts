import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPackageFinding, preparedFindings, unanalysableFinding } from '../../server/pipeline/mirror-findings';
import type { VersionRecord } from '../../server/policy/version-state';

const T = Date.parse('2026-11-20T12:00:00Z');
const rec = (pkg: string, version: string, at: number): VersionRecord => ({
  package: pkg,
  version,
  state: 'quarantined',
  publishedAt: at,
  firstSeenAt: T,
  integrity: 'sha512-AAAA',
  tarball: null,
  tarballUrl: null,
  blob: null,
  reason: '',
  updatedAt: T,
  analysis: 'pending',
  maxSeverity: null,
  findingsDigest: null,
  publisher: 'mallory',
});
const burst = { windowMs: 10 * 60_000, versions: 5 };

test('the mirror adds new-package only when there is nothing to compare against, and a burst only for a burst', () => {
  const target = rec('a', '1.0.1', T);
  assert.deepEqual(preparedFindings(target, '1.0.0', [target], burst), []);
  assert.deepEqual(preparedFindings(target, null, [target], burst), [newPackageFinding('a')]);
  const around = [target, rec('a', '1.0.2', T + 1000), rec('b', '1.0.0', T), rec('b', '1.0.1', T), rec('c', '2.0.0', T)];
  const found = preparedFindings(target, '1.0.0', around, burst);
  assert.deepEqual(
    found.map((f) => [f.rule, f.severity]),
    [['metadata/publish-burst', 'medium']],
  );
});

test('a failure that holds a version names what failed and how often', () => {
  assert.equal(unanalysableFinding({ code: 'TARBALL_TOO_LARGE', message: 'x' }, 1).rule, 'pipeline/tarball-too-large');
  assert.equal(unanalysableFinding({ code: 'RESOURCE_LIMIT', message: 'x' }, 1).rule, 'pipeline/resource-limit');
  const f = unanalysableFinding({ code: 'TRANSIENT', message: 'upstream 503' }, 3);
  assert.equal(f.rule, 'pipeline/unanalyzable');
  assert.equal(f.severity, 'high');
  assert.match(f.message, /after 3 attempt\(s\) \(TRANSIENT: upstream 503\)/);
});
