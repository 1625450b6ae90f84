/**
 * The mirror of the pipeline benchmark, run as a child process so its event loop is its own: a real
 * Cordon (Verdaccio, plugins, SQLite, sweeper, the runner config selects) on the system clock.
 * Answers commands from the parent over IPC (see PipelineRequest) and exits on "stop".
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { loadConfig } from '../server/config';
import { silentLogger } from '../server/logger';
import { startMirror, type Mirror } from '../server/mirror';

/** What the parent asks; every request carries an id the reply repeats. */
export type PipelineRequest =
  | { id: number; cmd: 'mark' }
  | { id: number; cmd: 'stats' }
  | { id: number; cmd: 'drain'; deadlineMs: number; useDrain: boolean }
  | { id: number; cmd: 'report'; versions: ReadonlyArray<readonly [string, string]> }
  | { id: number; cmd: 'stop' };

/** The mirror's own view of a window since the last "mark": event-loop lag (ms) and CPU. */
export interface ServeStats {
  readonly loopP50Ms: number;
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  /** CPU time of the whole mirror process (all threads) over wall time, in %. */
  readonly cpuPct: number;
}

/** Job counts once the queue drained (or the deadline passed). */
export interface DrainResult {
  readonly counts: Record<'waiting' | 'active' | 'done' | 'failed', number>;
  readonly timedOut: boolean;
}

/** One job's timings as the processor recorded them. */
export interface Timings {
  readonly fetchMs: number;
  readonly unpackMs: number;
  readonly analyzeMs: number;
  readonly totalMs: number;
}

/** What the mirror stored about the benchmark's versions. */
export interface AnalysisReport {
  /** Versions by analysis state (clean, flagged, failed, pending, none). */
  readonly outcomes: Record<string, number>;
  /** Versions by lifecycle state (quarantined, held, …). */
  readonly states: Record<string, number>;
  readonly timings: readonly Timings[];
}

/** The child's answer to one request. */
export type PipelineReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** Sent once, when the mirror listens. */
export interface ServeReady {
  readonly url: string;
  readonly kind: string;
}

const LOOP_RESOLUTION_MS = 10;
let histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
let markedAt = performance.now();
let markedCpu = process.cpuUsage();

function stats(): ServeStats {
  const wallMs = performance.now() - markedAt;
  const cpu = process.cpuUsage(markedCpu);
  // The histogram records whole timer intervals; what matters is the lag beyond the interval.
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
  return {
    loopP50Ms: ms(histogram.percentile(50)),
    loopP99Ms: ms(histogram.percentile(99)),
    loopMaxMs: ms(histogram.max),
    cpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
  };
}

/** Waits until no job waits or runs (the production path: the runner's own timers and events), or the deadline. */
async function drain(mirror: Mirror, deadlineMs: number, useDrain: boolean): Promise<DrainResult> {
  const end = Date.now() + deadlineMs;
  const finished = async (): Promise<boolean> => {
    const c = await mirror.runtime.store.jobs.counts();
    return c.waiting === 0 && c.active === 0;
  };
  if (useDrain) {
    // pipeline.drain() also returns when only retries with a future run_after are left; keep waiting for those.
    await Promise.race([mirror.pipeline.drain(), new Promise((r) => setTimeout(r, deadlineMs))]);
  }
  while (!(await finished()) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return { counts: await mirror.runtime.store.jobs.counts(), timedOut: !(await finished()) };
}

async function report(mirror: Mirror, versions: ReadonlyArray<readonly [string, string]>): Promise<AnalysisReport> {
  const { store } = mirror.runtime;
  const outcomes: Record<string, number> = {};
  const states: Record<string, number> = {};
  const timings: Timings[] = [];
  for (const [name, version] of versions) {
    const record = await store.versions.versionOf(name, version);
    const outcome = record?.analysis ?? 'none';
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    states[record?.state ?? 'unknown'] = (states[record?.state ?? 'unknown'] ?? 0) + 1;
    const t = record?.integrity ? (await store.analyses.analysisOf(name, version, record.integrity))?.timings : undefined;
    // A failed analysis records no timings.
    if (t && typeof t.totalMs === 'number')
      timings.push({ fetchMs: t.fetchMs ?? 0, unpackMs: t.unpackMs ?? 0, analyzeMs: t.analyzeMs ?? 0, totalMs: t.totalMs });
  }
  return { outcomes, states, timings };
}

async function main(): Promise<void> {
  const [upstream, dataDir, envJson] = process.argv.slice(2) as [string, string, string];
  const extra = JSON.parse(envJson) as Record<string, string>;
  // Verdaccio's uplink cache outlives the run, so the latency package is served from cache both idle and busy.
  const config = loadConfig(
    {
      CORDON_UPSTREAM: upstream,
      CORDON_DATA_DIR: dataDir,
      CORDON_PORT: '0',
      CORDON_HOST: '127.0.0.1',
      CORDON_COOLDOWN: '72h',
      CORDON_UPSTREAM_MAXAGE: '30m',
      CORDON_LOG_LEVEL: 'fatal',
      CORDON_CONFIG: '',
      ...extra,
    },
    dataDir,
  );
  const mirror = await startMirror(config, { logger: silentLogger });
  histogram.enable();
  const handle = async (req: PipelineRequest): Promise<unknown> => {
    switch (req.cmd) {
      case 'mark':
        histogram.disable();
        histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
        histogram.enable();
        markedAt = performance.now();
        markedCpu = process.cpuUsage();
        return null;
      case 'stats':
        return stats();
      case 'drain':
        return drain(mirror, req.deadlineMs, req.useDrain);
      case 'report':
        return report(mirror, req.versions);
      case 'stop':
        await mirror.close();
        return null;
    }
  };
  process.on('message', (req: PipelineRequest) => {
    handle(req).then(
      (value) => {
        process.send!({ id: req.id, ok: true, value } satisfies PipelineReply, () => {
          if (req.cmd === 'stop') process.exit(0);
        });
      },
      (err: unknown) => process.send!({ id: req.id, ok: false, error: (err as Error)?.stack ?? String(err) } satisfies PipelineReply),
    );
  });
  // The parent gone means the run is over: never outlive it.
  process.on('disconnect', () => void mirror.close().finally(() => process.exit(0)));
  process.send!({ url: mirror.url, kind: mirror.pipeline.kind } satisfies ServeReady);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench pipeline mirror: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
