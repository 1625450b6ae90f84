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
}

type Percentile = (sorted: readonly number[], p: number) => number;

// Below this ratio of throughput (or above its inverse for p50) a row is flagged; closer is noise on a shared box.
const NOISE = 0.95;

function num(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function cell(c: Cell, pct: Percentile): string[] {
  const r = c.result;
  const rps = r.requests / r.seconds;
  const errors = r.errors ? `${r.errors}${Object.keys(r.badStatus).length ? ` (${Object.entries(r.badStatus).map(([s, n]) => `${s}x${n}`).join(',')})` : ''}` : '0';
  return [num(rps, rps < 100 ? 1 : 0), num(pct(r.latencies, 50), 1), num(pct(r.latencies, 95), 1), num(pct(r.latencies, 99), 1), num(r.meanBytes / 1024, 1), errors, String(c.upstreamHits)];
}

/** The table: one line per row, plain Verdaccio and Cordon side by side, and Cordon's ratio. */
export function formatTable(rows: readonly Row[], pct: Percentile, title = 'Cordon'): string {
  const sub = ['req/s', 'p50', 'p95', 'p99', 'KB', 'err', 'up'];
  const header = ['', ...sub, ...sub, 'req/s', 'p50', ''];
  const lines: string[][] = [header];
  for (const row of rows) {
    const rpsRatio = row.cordon.result.requests / row.cordon.result.seconds / (row.plain.result.requests / row.plain.result.seconds);
    const p50Ratio = pct(row.cordon.result.latencies, 50) / pct(row.plain.result.latencies, 50);
    const verdict = row.cordon.result.errors || row.plain.result.errors ? 'ERRORS' : rpsRatio < NOISE || p50Ratio > 1 / NOISE ? 'SLOWER' : 'ok';
    lines.push([row.label, ...cell(row.plain, pct), ...cell(row.cordon, pct), num(rpsRatio, 2), num(p50Ratio, 2), verdict]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const render = (l: string[]): string => l.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  const span = (from: number, to: number): number => widths.slice(from, to).reduce((a, w) => a + w + 2, -2);
  const groups = [''.padEnd(widths[0]!), 'plain Verdaccio 6.8 (no plugins)'.padEnd(span(1, 8)), title.padEnd(span(8, 15)), `${title}/plain`].join('  ');
  const legend = 'latency in ms (p50/p95/p99); KB = mean response body on the wire; err = failed or non-200; up = requests the fake upstream saw while measuring (from any server, incl. Cordon\'s once-a-minute sweeper)';
  return [groups, render(lines[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(1).map(render), '', legend].join('\n');
}
