/**
 * `npm run bench:pipeline`: analyses per minute for the embedded runner and for one and two BullMQ
 * workers, side by side in one run, with the mirror's packument latency measured while the analyses
 * run and, for comparison, with the pipeline idle.
 *
 * For each runner a fresh mirror starts as a child process (bench/pipeline-serve) against one fake
 * upstream in this process, BullMQ workers start as `worker-main.js` processes on a queue of their
 * own. The packument latency is measured first with nothing queued, then from the moment the
 * versions are queued (a GET of each package through the mirror, its first sight) until no job
 * waits or runs; throughput counts the jobs finished in that time. The latency load (closed loop,
 * keep-alive, abbreviated packument as `npm install` asks it) reads a package none of whose versions
 * is analysed, so it shows what analysis costs the rest of the mirror.
 *
 * Settings (environment): BENCH_PACKAGES (30) × BENCH_VERSIONS (new versions each, 10) = jobs;
 * BENCH_ANALYSIS_CONCURRENCY (2: threads of the embedded runner, jobs per BullMQ worker);
 * BENCH_LOAD_CONCURRENCY (4); BENCH_IDLE_SECONDS (8); BENCH_MAX_SECONDS (per runner, 120);
 * BENCH_RUNNERS (a regular expression over the labels); BENCH_REDIS_URL (redis://127.0.0.1:6379);
 * BENCH_DRAIN=1 (the mirror also calls pipeline.drain(), which polls faster than production does);
 * BENCH_PROFILE (a folder: mirror and workers run with --cpu-prof and write their profiles there).
 *
 * The PostgreSQL row runs two mirror processes on one fresh PostgreSQL database (on the server
 * CORDON_DATABASE_URL names, else postgres://postgres@127.0.0.1:5432; dropped afterwards) with two BullMQ
 * workers on one queue: each package is first seen through one mirror or the other, the latency load is
 * split between them (half the connections each, latencies pooled), and lag is the worse mirror's, CPU
 * the sum of both. It is left out, with a note, when PostgreSQL does not answer.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeUpstream } from '../test/helpers/fake-upstream';
import { percentile, runLoad, type LoadResult } from './load';
import { CHANGED_PER_VERSION, SOURCE_FILES, pipelineFixture, publishPipelineFixture } from './pipeline-fixture';
import { mergeLoads, openLoad } from './pipeline-load';
import { createBenchDatabase } from './postgres';
import { obliterateQueue, startMirrorProcess, startWorkerProcess, type MirrorProcess, type WorkerProcess } from './pipeline-processes';
import type { AnalysisReport, DrainResult, ServeStats } from './pipeline-serve';
import { formatPipelineTable, formatTimingsTable, type PipelineRow } from './pipeline-table';

const PACKAGES = positive('BENCH_PACKAGES', 30);
const VERSIONS = positive('BENCH_VERSIONS', 10);
const CONCURRENCY = positive('BENCH_ANALYSIS_CONCURRENCY', 2);
const LOAD_CONCURRENCY = positive('BENCH_LOAD_CONCURRENCY', 4);
const IDLE_SECONDS = positive('BENCH_IDLE_SECONDS', 8);
const MAX_SECONDS = positive('BENCH_MAX_SECONDS', 120);
const RUNNERS = new RegExp(process.env.BENCH_RUNNERS || '.');
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const USE_DRAIN = process.env.BENCH_DRAIN === '1';
const PROFILE_DIR = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : '';
// Short windows, so the last one (which may end after the queue drained) adds little idle time.
const WINDOW_MS = 250;
const ACCEPT_ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

function positive(key: string, fallback: number): number {
  const raw = process.env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${key} must be a positive whole number, got ${JSON.stringify(raw)}`);
  return n;
}

interface RunnerSpec {
  readonly label: string;
  /** 0 = the embedded runner; otherwise BullMQ with this many worker processes. */
  readonly workers: number;
  /** Mirror processes (default 1); more than one only on PostgreSQL, which they share. */
  readonly mirrors?: number;
  /** The store on a fresh PostgreSQL database instead of each mirror's SQLite file. */
  readonly postgres?: boolean;
}

const RUNNER_SPECS: readonly RunnerSpec[] = [
  { label: 'embedded', workers: 0 },
  { label: 'bullmq, 1 worker', workers: 1 },
  { label: 'bullmq, 2 workers', workers: 2 },
  { label: 'postgres, 2 mirrors, bullmq 2 workers', workers: 2, mirrors: 2, postgres: true },
];

/** Loads run side by side (one per mirror) as one result: latencies pooled, over the longest one's time. */
function side(parts: readonly LoadResult[]): LoadResult {
  return { ...mergeLoads(parts), seconds: Math.max(...parts.map((p) => p.seconds)) };
}

/** The stats of mirrors that ran side by side: the worse lag, CPU summed over the processes. */
function sideStats(parts: readonly ServeStats[]): ServeStats {
  return {
    loopP50Ms: Math.max(...parts.map((p) => p.loopP50Ms)),
    loopP99Ms: Math.max(...parts.map((p) => p.loopP99Ms)),
    loopMaxMs: Math.max(...parts.map((p) => p.loopMaxMs)),
    cpuPct: parts.reduce((a, p) => a + p.cpuPct, 0),
  };
}

/** Cleanups of whatever is running, newest first; also run on Ctrl-C. */
const cleanups: Array<() => Promise<void>> = [];

async function cleanUp(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: unknown) => console.error(`cleanup: ${(err as Error).message}`));
}

function profileArgs(name: string): string[] {
  return PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `${name}.cpuprofile`] : [];
}

async function versionsShown(url: string): Promise<string[]> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return Object.keys(((await res.json()) as { versions?: object }).versions ?? {});
}

async function runOne(
  spec: RunnerSpec,
  upstream: FakeUpstream,
  fixture: ReturnType<typeof pipelineFixture>,
): Promise<PipelineRow | string> {
  const slug = spec.label.replace(/\W+/g, '-');
  const env: Record<string, string> = { CORDON_ANALYSIS_CONCURRENCY: String(CONCURRENCY) };
  if (spec.postgres) {
    const database = await createBenchDatabase();
    if ('skipped' in database) return `${spec.label}: left out, ${database.skipped}`;
    // Pushed first, so it runs last: after every mirror closed its connections.
    cleanups.push(() => database.drop());
    env.CORDON_DATABASE_URL = database.url;
  }
  const workers: WorkerProcess[] = [];
  if (spec.workers > 0) {
    const queue = `cordon-bench-${process.pid}-${Date.now().toString(36)}-${slug}`;
    Object.assign(env, { REDIS_URL, CORDON_QUEUE: queue });
    cleanups.push(() => obliterateQueue(REDIS_URL, queue));
    const cwd = mkdtempSync(join(tmpdir(), 'cordon-bench-worker-'));
    cleanups.push(async () => rmSync(cwd, { recursive: true, force: true }));
    for (let i = 0; i < spec.workers; i++) {
      const worker = await startWorkerProcess(
        { REDIS_URL, CORDON_QUEUE: queue, CORDON_ANALYSIS_CONCURRENCY: String(CONCURRENCY) },
        cwd,
        profileArgs(`worker-${slug}-${i}`),
      );
      workers.push(worker);
      cleanups.push(() => worker.stop());
    }
  }
  const mirrors: MirrorProcess[] = [];
  for (let i = 0; i < (spec.mirrors ?? 1); i++) {
    const dataDir = mkdtempSync(join(tmpdir(), `cordon-bench-pipeline-${slug}-`));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const mirror = await startMirrorProcess(upstream.url, dataDir, env, profileArgs(`mirror-${slug}-${i}`));
    mirrors.push(mirror);
    cleanups.push(() => mirror.stop());
    const expectedKind = spec.workers > 0 ? 'bullmq' : 'embedded';
    if (mirror.kind !== expectedKind) throw new Error(`the mirror runs the ${mirror.kind} runner, expected ${expectedKind}`);
  }
  const first = mirrors[0]!;

  const serveUrls = mirrors.map((m) => `${m.url}${fixture.servePackage}`);
  for (const url of serveUrls) {
    const shown = await versionsShown(url);
    if (shown.length !== fixture.serveVersions)
      throw new Error(`${fixture.servePackage}: ${url} shows ${shown.length} versions, expected ${fixture.serveVersions}`);
  }
  // The same number of connections in all, split between the mirrors.
  const loads = serveUrls.map((url, i) => ({
    url,
    headers: { accept: ACCEPT_ABBREVIATED, 'accept-encoding': 'gzip, deflate', 'user-agent': 'cordon-bench' },
    concurrency: Math.max(1, Math.floor(LOAD_CONCURRENCY / mirrors.length) + (i < LOAD_CONCURRENCY % mirrors.length ? 1 : 0)),
  }));
  await Promise.all(loads.map((load) => runLoad({ ...load, durationMs: 1_000 })));

  await Promise.all(mirrors.map((m) => m.ask({ cmd: 'mark' })));
  const idle = side(await Promise.all(loads.map((load) => runLoad({ ...load, durationMs: IDLE_SECONDS * 1000 }))));
  const idleMirror = sideStats(await Promise.all(mirrors.map((m) => m.ask<ServeStats>({ cmd: 'stats' }))));

  await Promise.all(mirrors.map((m) => m.ask({ cmd: 'mark' })));
  const busyLoads = loads.map((load) => openLoad({ ...load, durationMs: WINDOW_MS }));
  const started = performance.now();
  // First sight of each package through a mirror (taking turns): its new versions enter quarantine and queue a job each.
  const visible = await Promise.all(fixture.packages.map((name, i) => versionsShown(`${mirrors[i % mirrors.length]!.url}${name}`)));
  // The store is shared, so one mirror's job counts are everyone's.
  const drain = await first.ask<DrainResult>({ cmd: 'drain', deadlineMs: MAX_SECONDS * 1000, useDrain: USE_DRAIN });
  const seconds = (performance.now() - started) / 1000;
  const busy = side(await Promise.all(busyLoads.map((l) => l.stop())));
  const busyMirror = sideStats(await Promise.all(mirrors.map((m) => m.ask<ServeStats>({ cmd: 'stats' }))));
  const wrong = visible.findIndex((v) => v.length !== 1);
  if (wrong >= 0)
    throw new Error(
      `${fixture.packages[wrong]}: the mirror shows ${visible[wrong]!.length} versions at first sight, expected only the released 1.0.0`,
    );
  const versions = fixture.packages.flatMap((name) => fixture.newVersions.map((v) => [name, v] as const));
  const report = await first.ask<AnalysisReport>({ cmd: 'report', versions });

  await cleanUp();
  return { label: spec.label, concurrency: CONCURRENCY, jobs: versions.length, seconds, drain, report, idle, busy, idleMirror, busyMirror };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const fixture = pipelineFixture(PACKAGES, VERSIONS);
  const upstream = await new FakeUpstream().start();
  try {
    const { tarballs, meanBytes } = publishPipelineFixture(upstream, fixture, Date.now());
    const jobs = PACKAGES * VERSIONS;
    console.log(
      `cordon bench:pipeline — ${jobs} versions to analyse (${PACKAGES} packages × ${VERSIONS} new versions, ${fixture.withInstallScript} adding an install script), ` +
        `${tarballs} tarballs of ~${(meanBytes / 1024).toFixed(0)} KB gzipped (${SOURCE_FILES} source files of ~3 KB, ${CHANGED_PER_VERSION} rewritten per version); analysis concurrency ${CONCURRENCY}; ` +
        `latency load ${LOAD_CONCURRENCY} keep-alive requests on ${fixture.servePackage} (${fixture.serveVersions} versions, abbreviated, gzip); ` +
        `node ${process.version}, ${cpus().length} CPUs${USE_DRAIN ? '; mirror calls pipeline.drain()' : ''}`,
    );
    const rows: PipelineRow[] = [];
    for (const spec of RUNNER_SPECS) {
      if (!RUNNERS.test(spec.label)) continue;
      const row = await runOne(spec, upstream, fixture);
      if (typeof row === 'string') {
        console.log(`  ${row}`);
        continue;
      }
      console.log(
        `  ${spec.label}: ${row.drain.counts.done + row.drain.counts.failed}/${row.jobs} jobs in ${row.seconds.toFixed(1)} s; analysis ${JSON.stringify(row.report.outcomes)}; state ${JSON.stringify(row.report.states)}`,
      );
      rows.push(row);
    }
    console.log('');
    console.log(formatPipelineTable(rows, percentile));
    console.log('');
    console.log(
      'an/min = analyses finished per minute, from queuing (first GET of each package) until no job waits or runs; held = versions held by their analysis; ' +
        'latency in ms; busy/idle = ratio of p50 and p99; mirror lag p99 = how late the event loop of the mirror process ran a 10 ms timer (ms); ' +
        'CPU% = CPU time of the mirror process (all its threads) over wall time while analysing (200% = both cores); ' +
        'with 2 mirrors: latencies pooled over both (load split between them), the worse lag, CPU% summed.',
    );
    console.log('');
    console.log('Per-job timings recorded by the processor (ms; fetch = packument + both tarballs from the fake upstream):');
    console.log(formatTimingsTable(rows, percentile));
    if (upstream.unexpected.length) console.log(`\nunexpected upstream requests: ${upstream.unexpected.slice(0, 5).join(', ')}`);
    console.log(`\ntotal ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
  } finally {
    await cleanUp();
    await upstream.stop();
  }
}

process.once('SIGINT', () => {
  void cleanUp().finally(() => process.exit(130));
});

main().catch(async (err: unknown) => {
  console.error(err);
  await cleanUp();
  process.exitCode = 1;
});
