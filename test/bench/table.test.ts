/** The mirror benchmark's table: the PostgreSQL column and its verdict against issue 14's 10% target. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, type Cell, type Row } from '../../bench/table';
import { percentile } from '../../bench/load';

function cell(requests: number, p50: number): Cell {
  return {
    result: { requests, errors: 0, seconds: 1, latencies: Array.from({ length: requests }, () => p50), meanBytes: 1024, badStatus: {} },
    upstreamHits: 0,
  };
}

function verdictOf(table: string, label: string): string {
  const line = table.split('\n').find((l) => l.startsWith(label));
  assert.ok(line, `no line for ${label}`);
  return line
    .trim()
    .split(/\s{2,}/)
    .at(-1)!;
}

test('a PostgreSQL row within 10% of SQLite is "within 10%", one below is MISS', () => {
  const rows: Row[] = [
    { label: 'close', plain: cell(100, 10), cordon: cell(1000, 2), postgres: cell(950, 2.1) },
    { label: 'slow', plain: cell(100, 10), cordon: cell(1000, 2), postgres: cell(800, 2) },
    { label: 'late', plain: cell(100, 10), cordon: cell(1000, 2), postgres: cell(1000, 2.5) },
  ];
  const table = formatTable(rows, percentile);
  assert.match(table, /Cordon on PostgreSQL/);
  assert.equal(verdictOf(table, 'close'), 'within 10%');
  assert.equal(verdictOf(table, 'slow'), 'MISS');
  assert.equal(verdictOf(table, 'late'), 'MISS');
});

test('without PostgreSQL figures the table has no PostgreSQL columns', () => {
  const table = formatTable([{ label: 'row', plain: cell(100, 10), cordon: cell(1000, 2) }], percentile);
  assert.doesNotMatch(table, /PostgreSQL/);
  assert.equal(verdictOf(table, 'row'), 'ok');
});
