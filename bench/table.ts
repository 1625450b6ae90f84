/** Formats the benchmark rows as a side-by-side text table. */
import type { LoadResult } from './load';

export interface Cell {
  readonly result: LoadResult;
  readonly upstreamHits: number;
}

export interface Row {
  readonly label: string;
  readonly plain: Cell;
  readonly cordon: Cell;
  /** Cordon with its store on PostgreSQL, when measured in the same run. */
  readonly postgres?: Cell;
}

type Percentile = (sorted: readonly number[], p: number) => number;

// Below this ratio of throughput (or above its inverse for p50) a row is flagged; closer is noise on a shared box.
const NOISE = 0.95;
// Issue 14: Cordon on PostgreSQL within 10% of Cordon on SQLite, in throughput and median latency.
const POSTGRES_TARGET = 0.9;

function num(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function cell(c: Cell, pct: Percentile): string[] {
  const r = c.result;
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
  return [
    num(rps, rps < 100 ? 1 : 0),
    num(pct(r.latencies, 50), 1),
    num(pct(r.latencies, 95), 1),
    num(pct(r.latencies, 99), 1),
    num(r.meanBytes / 1024, 1),
    errors,
    String(c.upstreamHits),
  ];
}

function rps(c: Cell): number {
  return c.result.requests / c.result.seconds;
}

/**
 * The table: one line per row, plain Verdaccio and Cordon side by side, and Cordon's ratio; with
 * PostgreSQL figures, Cordon on PostgreSQL too and its ratio to Cordon on SQLite (the issue's target).
 */
export function formatTable(rows: readonly Row[], pct: Percentile, title = 'Cordon'): string {
  const withPostgres = rows.some((r) => r.postgres);
  const sub = ['req/s', 'p50', 'p95', 'p99', 'KB', 'err', 'up'];
  const header = ['', ...sub, ...sub, 'req/s', 'p50', '', ...(withPostgres ? [...sub, 'req/s', 'p50', ''] : [])];
  const lines: string[][] = [header];
  for (const row of rows) {
    const rpsRatio = rps(row.cordon) / rps(row.plain);
    const p50Ratio = pct(row.cordon.result.latencies, 50) / pct(row.plain.result.latencies, 50);
    const verdict =
      row.cordon.result.errors || row.plain.result.errors ? 'ERRORS' : rpsRatio < NOISE || p50Ratio > 1 / NOISE ? 'SLOWER' : 'ok';
    const line = [row.label, ...cell(row.plain, pct), ...cell(row.cordon, pct), num(rpsRatio, 2), num(p50Ratio, 2), verdict];
    if (withPostgres) {
      const pg = row.postgres;
      if (!pg) line.push(...sub.map(() => '-'), '-', '-', '');
      else {
        const pgRps = rps(pg) / rps(row.cordon);
        const pgP50 = pct(pg.result.latencies, 50) / pct(row.cordon.result.latencies, 50);
        const pgVerdict = pg.result.errors ? 'ERRORS' : pgRps < POSTGRES_TARGET || pgP50 > 1 / POSTGRES_TARGET ? 'MISS' : 'within 10%';
        line.push(...cell(pg, pct), num(pgRps, 2), num(pgP50, 2), pgVerdict);
      }
    }
    lines.push(line);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const render = (l: string[]): string =>
    l
      .map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const span = (from: number, to: number): number => widths.slice(from, to).reduce((a, w) => a + w + 2, -2);
  const groups = [
    ''.padEnd(widths[0]!),
    'plain Verdaccio 6.8 (no plugins)'.padEnd(span(1, 8)),
    `${title} on SQLite`.padEnd(span(8, 15)),
    `${title}/plain`.padEnd(span(15, 18)),
  ];
  if (withPostgres) groups.push(`${title} on PostgreSQL`.padEnd(span(18, 25)), 'PostgreSQL/SQLite');
  const legend = [
    "latency in ms (p50/p95/p99); KB = mean response body on the wire; err = failed or non-200; up = requests the fake upstream saw while measuring (from any server, incl. Cordon's once-a-minute sweeper)",
    ...(withPostgres
      ? [
          'PostgreSQL/SQLite: req/s and p50 of Cordon on PostgreSQL over Cordon on SQLite, same run; "within 10%" = req/s >= 0.90 and p50 <= 1.11 (issue 14)',
        ]
      : []),
  ];
  return [
    groups.join('  ').trimEnd(),
    render(lines[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...lines.slice(1).map(render),
    '',
    ...legend,
  ].join('\n');
}
