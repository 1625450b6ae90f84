/** Formats the pipeline benchmark: one line per runner, throughput next to packument latency idle and busy. */
import type { LoadResult } from './load';
import type { AnalysisReport, DrainResult, ServeStats, Timings } from './pipeline-serve';

type Percentile = (sorted: readonly number[], p: number) => number;

/** Everything measured for one runner. */
export interface PipelineRow {
  readonly label: string;
  /** Analysis concurrency per process (threads of the embedded runner, jobs per BullMQ worker). */
  readonly concurrency: number;
  readonly jobs: number;
  readonly seconds: number;
  readonly drain: DrainResult;
  readonly report: AnalysisReport;
  readonly idle: LoadResult;
  readonly busy: LoadResult;
  readonly idleMirror: ServeStats;
  readonly busyMirror: ServeStats;
}

function num(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function render(groups: ReadonlyArray<readonly [string, number]>, lines: string[][]): string[] {
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const row = (l: string[]): string =>
    l
      .map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  let at = 0;
  const group = groups
    .map(([title, span]) => {
      const width = widths.slice(at, at + span).reduce((a, w) => a + w + 2, -2);
      at += span;
      return title.padEnd(width);
    })
    .join('  ')
    .trimEnd();
  return [group, row(lines[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(1).map(row)];
}

function latency(r: LoadResult, pct: Percentile): string[] {
  const rps = r.requests / r.seconds;
  const errors = r.errors
    ? `${r.errors}${
        Object.keys(r.badStatus).length
          ? ` (${Object.entries(r.badStatus)
              .map(([s, n]) => `${s}x${n}`)
              .join(',')})`
          : ''
      }`
    : '0';
  return [num(rps, 0), num(pct(r.latencies, 50), 1), num(pct(r.latencies, 95), 1), num(pct(r.latencies, 99), 1), errors];
}

/** The main table: throughput, outcome, and packument latency with the pipeline idle and busy. */
export function formatPipelineTable(rows: readonly PipelineRow[], pct: Percentile): string {
  const lines: string[][] = [
    [
      'runner',
      'conc',
      'jobs',
      'done',
      'held',
      'fail',
      's',
      'an/min',
      'req/s',
      'p50',
      'p95',
      'p99',
      'err',
      'req/s',
      'p50',
      'p95',
      'p99',
      'err',
      'p50',
      'p99',
      'idle',
      'busy',
      'CPU%',
    ],
  ];
  for (const r of rows) {
    const finished = r.drain.counts.done + r.drain.counts.failed;
    const perMinute = (finished / r.seconds) * 60;
    lines.push([
      r.label + (r.drain.timedOut ? ' (TIMED OUT)' : ''),
      String(r.concurrency),
      String(r.jobs),
      String(finished),
      String(r.report.states.held ?? 0),
      String(r.drain.counts.failed),
      num(r.seconds, 1),
      num(perMinute, 0),
      ...latency(r.idle, pct),
      ...latency(r.busy, pct),
      num(pct(r.busy.latencies, 50) / pct(r.idle.latencies, 50), 2),
      num(pct(r.busy.latencies, 99) / pct(r.idle.latencies, 99), 2),
      num(r.idleMirror.loopP99Ms, 0),
      num(r.busyMirror.loopP99Ms, 0),
      num(r.busyMirror.cpuPct, 0),
    ]);
  }
  const groups: Array<[string, number]> = [
    ['', 1],
    ['analyses', 7],
    ['packument, pipeline idle', 5],
    ['packument, while analysing', 5],
    ['busy/idle', 2],
    ['mirror lag p99', 2],
    ['', 1],
  ];
  return render(groups, lines).join('\n');
}

/** Per-job timings the processor recorded (ms), p50 / p95 per step. */
export function formatTimingsTable(rows: readonly PipelineRow[], pct: Percentile): string {
  const lines: string[][] = [['runner', 'n', 'fetch p50', 'p95', 'unpack p50', 'p95', 'analyze p50', 'p95', 'total p50', 'p95', 'max']];
  for (const r of rows) {
    const sorted = (k: keyof Timings): number[] => r.report.timings.map((t) => t[k]).sort((a, b) => a - b);
    const total = sorted('totalMs');
    lines.push([
      r.label,
      String(r.report.timings.length),
      ...(['fetchMs', 'unpackMs', 'analyzeMs'] as const).flatMap((k) => [num(pct(sorted(k), 50), 0), num(pct(sorted(k), 95), 0)]),
      num(pct(total, 50), 0),
      num(pct(total, 95), 0),
      num(total[total.length - 1] ?? Number.NaN, 0),
    ]);
  }
  return render([['', lines[0]!.length]], lines)
    .slice(1)
    .join('\n');
}
