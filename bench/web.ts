/**
 * `npm run bench:web`: server time of the review pages. (1) The review of a version whose one changed
 * file is 5 MB (the review JSON and its file diff, cold: tarballs read and diffed on the worker thread;
 * then warm, from the cache), for a small edit, a rewrite and an added file. (2) The queue of 1,000
 * waiting versions. Everything runs in this process against a mirror on 127.0.0.1 and a fake upstream;
 * the figures are wall-clock times of requests over loopback, so they include HTTP and JSON.
 *
 * Settings (environment): BENCH_QUEUE (versions in the queue, default 1000), BENCH_RUNS (queue requests, 30).
 */
import { performance } from 'node:perf_hooks';
import { findingsDigest } from '../server/analyzer';
import type { Finding } from '../server/analyzer';
import { DAY, HOUR, NOW, startTestMirror } from '../test/helpers/mirror';
import { percentile } from './load';
import { versionRecord } from '../test/helpers/version-record';

const QUEUE = Number(process.env.BENCH_QUEUE ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

async function timed(url: string): Promise<{ ms: number; bytes: number; status: number; json: Record<string, unknown> }> {
  const t = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const ms = performance.now() - t;
  return {
    ms,
    bytes: Buffer.byteLength(text),
    status: res.status,
    json: res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** A JavaScript file of about `bytes` bytes, 50-character lines. */
function bigFile(bytes: number, seed: string): string {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const line = `exports.f${i} = function () { return "${seed}${(i * 2654435761) % 1e9}"; };`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

async function reviewBench(): Promise<string[]> {
  const m = await startTestMirror({ now: NOW });
  const out: string[] = [];
  try {
    const base = bigFile(5 * 1024 * 1024, 'v');
    const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
      [
        '5 MB file, 3 lines edited',
        { 'lib/big.js': base },
        {
          'lib/big.js': base
            .replace('exports.f100 ', 'exports.f100x ')
            .replace('exports.f50000 ', 'exports.f50000x ')
            .replace('exports.f90000 ', 'exports.f90000x '),
        },
      ],
      ['5 MB file, rewritten', { 'lib/big.js': base }, { 'lib/big.js': bigFile(5 * 1024 * 1024, 'w') }],
      ['5 MB file, added', {}, { 'lib/big.js': base }],
    ];
    for (const [i, [label, before, after]] of cases.entries()) {
      const name = `big-${i}`;
      m.upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY, files: before });
      await (await fetch(`${m.mirror.url}${name}`)).arrayBuffer();
      m.upstream.publish(name, '1.0.1', { time: NOW - HOUR, files: after });
      await (await fetch(`${m.mirror.url}${name}`)).arrayBuffer();
      await m.mirror.pipeline.drain();
      const review = await timed(`${m.mirror.url}-/cordon/api/v1/review/version?package=${name}&version=1.0.1`);
      const cold = await timed(`${m.mirror.url}-/cordon/api/v1/review/diff?package=${name}&version=1.0.1`);
      const warm = await timed(`${m.mirror.url}-/cordon/api/v1/review/diff?package=${name}&version=1.0.1`);
      const files = cold.json.files as Array<{ path: string; kind: string; added: number; removed: number }> | undefined;
      const big = files?.find((f) => f.path === 'lib/big.js');
      out.push(
        `${label.padEnd(28)} review ${review.ms.toFixed(1).padStart(7)} ms   diff cold ${cold.ms.toFixed(1).padStart(7)} ms (built ${String(cold.json.builtMs).padStart(4)} ms, ${(cold.bytes / 1024).toFixed(0).padStart(5)} KB, ${big?.kind ?? cold.json.code}, +${big?.added ?? 0} −${big?.removed ?? 0})   warm ${warm.ms.toFixed(1).padStart(6)} ms   ready ${(review.ms + cold.ms).toFixed(0)} ms`,
      );
    }
  } finally {
    await m.stop();
  }
  return out;
}

async function queueBench(): Promise<string[]> {
  const m = await startTestMirror({ now: NOW });
  try {
    const { store } = m.mirror.runtime;
    const finding: Finding = {
      category: 'install-script',
      rule: 'install-script/new-postinstall',
      severity: 'critical',
      message: 'adds the postinstall script',
      file: 'package.json',
      line: 3,
      evidence: '"postinstall": "node x.js"',
    };
    const seen = NOW - HOUR;
    for (let i = 0; i < QUEUE; i++) {
      const name = `pkg-${String(i % 250).padStart(3, '0')}`;
      const version = `1.0.${Math.floor(i / 250) + 1}`;
      const integrity = `sha512-${Buffer.from(`${name}@${version}`).toString('base64')}`;
      await store.versions.recordSighting(
        name,
        seen,
        [versionRecord(name, version, 'quarantined', { publishedAt: seen, firstSeenAt: seen, integrity, updatedAt: seen })],
        [],
      );
      await store.analyses.record(
        {
          package: name,
          version,
          integrity,
          previousVersion: null,
          findings: [finding],
          digest: findingsDigest([finding]),
          maxSeverity: 'critical',
          analyzerVersion: 'bench',
          timings: {},
          finishedAt: seen,
        },
        'flagged',
        { package: name, version, from: 'quarantined', to: 'held', reason: 'held', cause: 'analysis-flagged', at: seen },
      );
    }
    const times: number[] = [];
    let size = 0;
    let count = 0;
    await timed(`${m.mirror.url}-/cordon/api/v1/approvals/queue`);
    for (let i = 0; i < RUNS; i++) {
      const r = await timed(`${m.mirror.url}-/cordon/api/v1/approvals/queue`);
      times.push(r.ms);
      size = r.bytes;
      count = (r.json.versions as unknown[]).length;
    }
    const shell = await timed(`${m.mirror.url}-/cordon/`);
    times.sort((a, b) => a - b);
    return [
      `queue of ${count} versions: median ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms (${(size / 1024).toFixed(0)} KB JSON, ${RUNS} requests); page shell ${shell.ms.toFixed(1)} ms`,
    ];
  } finally {
    await m.stop();
  }
}

async function main(): Promise<void> {
  process.stdout.write(`bench:web — node ${process.version}, review diffs on a worker thread, figures are loopback wall-clock\n\n`);
  for (const line of await reviewBench()) process.stdout.write(`${line}\n`);
  process.stdout.write('\n');
  for (const line of await queueBench()) process.stdout.write(`${line}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:web failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
