import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ThreadPool } from '../../server/pipeline/thread-pool';
import { AnalysisError, type AnalysisJobData } from '../../server/pipeline/analysis-job';
import { startTestMirror, DAY, HOUR, NOW } from '../helpers/mirror';

const job = (name: string): AnalysisJobData => ({
  id: name,
  question: {
    mirrorId: 'm',
    package: name,
    version: '1.0.0',
    integrity: 'sha512-x',
    previousVersion: null,
    previousIntegrity: null,
    analyzerVersion: 't',
  },
  next: { version: '1.0.0', manifest: null, tarballUrl: 'http://127.0.0.1/x.tgz', integrity: 'sha512-x', blob: null },
  previous: null,
  dependencies: [],
  preparedAt: 0,
  blobsDir: null,
  limits: { maxTarballBytes: 1, tarballTimeoutMs: 1 },
  upstream: 'http://127.0.0.1/',
  youngDependency: { maxAgeMs: 0, minVersions: 0 },
});

test('an analysis thread that outgrows its heap limit ends itself, not the process; the pool goes on', async () => {
  const pool = new ThreadPool(1, join(__dirname, 'fixtures', 'hog-thread.js'), { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 });
  try {
    await assert.rejects(
      pool.run(job('hog'), 60_000),
      (err: unknown) =>
        err instanceof AnalysisError &&
        err.code === 'RESOURCE_LIMIT' &&
        !err.retryable &&
        /more memory than an analysis thread may use \(48 MB/.test(err.message),
    );
    const ok = await pool.run(job('fine'), 60_000);
    assert.equal(ok.question.package, 'fine');
  } finally {
    await pool.close();
  }
});

test('a parse bomb is a finding, not a crash, and an unrelated version is analysed meanwhile', async () => {
  const m = await startTestMirror({ now: NOW, env: { CORDON_ANALYSIS_PARSE_BUDGET: '256kb' } });
  try {
    m.upstream.publish('bomb', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('bomb', '1.0.1', { time: NOW - HOUR, files: { 'index.js': `${'a;'.repeat(200_000)}\n` } });
    m.upstream.publish('bystander', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('bystander', '1.0.1', { time: NOW - HOUR });
    await fetch(`${m.mirror.url}bomb`);
    await fetch(`${m.mirror.url}bystander`);
    await m.mirror.pipeline.drain();
    const record = (await m.mirror.runtime.store.versions.versionOf('bomb', '1.0.1'))!;
    assert.equal(record.state, 'held');
    const analysis = (await m.mirror.runtime.store.analyses.analysisOf('bomb', '1.0.1', record.integrity!))!;
    const finding = analysis.findings.find((f) => f.rule === 'obfuscation/over-parse-budget');
    assert.ok(finding, JSON.stringify(analysis.findings));
    assert.equal(finding.file, 'index.js');
    assert.equal((await m.mirror.runtime.store.versions.versionOf('bystander', '1.0.1'))?.analysis, 'clean');
  } finally {
    await m.stop();
  }
});
