/** Store contract: analyses and their outcome on the version, and findings the mirror adds beyond them. */
import assert from 'node:assert/strict';
import type { StoredAnalysis } from '../../../storage';
import { contract, move, rec, T } from './contract';

const analysis = (version: string, extra: Partial<StoredAnalysis> = {}): StoredAnalysis => ({
  package: 'demo',
  version,
  integrity: `sha512-demo-${version}`,
  previousVersion: '0.9.0',
  findings: [
    {
      category: 'network',
      rule: 'network/new-host',
      severity: 'medium',
      message: 'talks to x.example',
      file: 'index.js',
      line: 3,
      evidence: 'fetch("https://x.example")',
    },
  ],
  digest: `dg-${version}`,
  maxSeverity: 'medium',
  analyzerVersion: 'a1',
  timings: { parse: 12.5 },
  finishedAt: T + 10,
  ...extra,
});

contract('an analysis is kept with its outcome and transition; a stale or late one changes nothing', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0'), rec('demo', '2.0.0', 'released')], []);
  assert.equal(
    await store.analyses.record(analysis('1.0.0'), 'flagged', move('demo', '1.0.0', 'quarantined', 'held', T + 10, 'analysis-flagged')),
    true,
  );
  assert.deepEqual(await store.analyses.analysisOf('demo', '1.0.0', 'sha512-demo-1.0.0'), analysis('1.0.0'));
  const v = await store.versions.versionOf('demo', '1.0.0');
  assert.deepEqual([v?.state, v?.analysis, v?.maxSeverity, v?.findingsDigest], ['held', 'flagged', 'medium', 'dg-1.0.0']);
  assert.deepEqual(
    (await store.audit.ofPackage('demo')).slice(-2).map((e) => e.cause),
    ['analysis-finished', 'analysis-flagged'],
  );

  const head = await store.audit.head();
  assert.equal(
    await store.analyses.record(analysis('1.0.0', { integrity: 'sha512-other-bytes' }), 'clean', null),
    false,
    'other bytes than the version has now',
  );
  assert.equal(
    await store.analyses.record(analysis('2.0.0', { findings: [], digest: 'late' }), 'clean', null),
    false,
    'a released version keeps the result that released it',
  );
  assert.equal(await store.analyses.analysisOf('demo', '2.0.0', 'sha512-demo-2.0.0'), undefined);
  assert.equal(await store.analyses.analysisOf('demo', '1.0.0', 'sha512-other-bytes'), undefined);
  assert.deepEqual(await store.audit.head(), head);
});

contract('a finding added beyond the analysis is kept with its transition and merged into the analysis and the version', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
  await store.analyses.record(analysis('1.0.0', { findings: [], digest: 'empty', maxSeverity: null }), 'clean', null);
  const finding = { category: 'publisher', rule: 'publisher/cascade', severity: 'high', message: 'a sibling was rejected' };
  const merged = { findings: [finding], digest: 'dg-merged', maxSeverity: 'high' };
  assert.equal(
    await store.analyses.addFinding(
      move('demo', '1.0.0', 'released', 'held', T + 20, 'cascade-held'),
      'sha512-demo-1.0.0',
      finding,
      merged,
    ),
    false,
    'its transition did not apply',
  );
  assert.deepEqual(await store.analyses.addedFindings('demo', '1.0.0', 'sha512-demo-1.0.0'), []);

  assert.equal(
    await store.analyses.addFinding(
      { ...move('demo', '1.0.0', 'quarantined', 'held', T + 20, 'cascade-held'), event: 'cascaded' },
      'sha512-demo-1.0.0',
      finding,
      merged,
    ),
    true,
  );
  assert.deepEqual(await store.analyses.addedFindings('demo', '1.0.0', 'sha512-demo-1.0.0'), [finding]);
  const a = await store.analyses.analysisOf('demo', '1.0.0', 'sha512-demo-1.0.0');
  assert.deepEqual([a?.findings, a?.digest, a?.maxSeverity], [[finding], 'dg-merged', 'high']);
  const v = await store.versions.versionOf('demo', '1.0.0');
  assert.deepEqual([v?.state, v?.findingsDigest, v?.maxSeverity], ['held', 'dg-merged', 'high']);
  assert.deepEqual(
    (await store.notifications.waitingEvents()).map((e) => e.event),
    ['cascaded'],
  );
});
