/**
 * `npm run bench:load`: BENCH_CONNECTIONS (200) clients for BENCH_SECONDS (60) s against one mirror, with
 * autocannon, mixing full and abbreviated packuments of a large (BENCH_LOAD_VERSIONS, 3,000 versions) and
 * a small package with tarballs (a small one served from memory, a 20 MB one streamed from disk), while
 * the sweeper runs (every minute) and analyses are queued (BENCH_QUEUED new versions of other packages,
 * each held up by a slow upstream). A second, smaller group of clients asks only for the small packument,
 * to show whether a packument request waits behind tarball streams or large documents.
 *
 * Prints throughput, latency (p50, p99, max), errors, and the server's memory after warm-up and at the
 * end. BENCH_DIST=/path/to/dist measures another build.
 */
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { FakeUpstream } from '../test/helpers/fake-upstream';
import { packTarball } from '../test/helpers/pack-tarball';
import { rssMb, startServer, stopServer } from './large-packument';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const DIST = resolve(process.env.BENCH_DIST ?? join(__dirname, '..'));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const VERSIONS = Number(process.env.BENCH_LOAD_VERSIONS ?? 3_000);
const QUEUED = Number(process.env.BENCH_QUEUED ?? 40);
const ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

type Result = autocannon.Result;

function run(opts: autocannon.Options): Promise<Result> {
  return new Promise((ok, fail) => {
    autocannon(opts, (err, result) => (err ? fail(err) : ok(result)));
  });
}

const line = (label: string, r: Result): string =>
  `${label.padEnd(22)} ${String(Math.round(r.requests.average)).padStart(6)} req/s  p50 ${String(r.latency.p50).padStart(5)} ms  p99 ${String(r.latency.p99).padStart(5)} ms  max ${String(r.latency.max).padStart(6)} ms  errors ${r.errors + r.timeouts}  non-2xx ${r.non2xx}  (${r.requests.total} requests, p99/p50 ${(r.latency.p99 / Math.max(1, r.latency.p50)).toFixed(1)}x)`;

async function main(): Promise<void> {
  const upstream = await new FakeUpstream().start();
  const small = packTarball({ 'package.json': '{"name":"x","version":"1.0.0"}', 'index.js': 'module.exports = 1;\n' });
  const big = packTarball({
    'package.json': '{"name":"y","version":"1.0.0"}',
    'data.bin': Buffer.from(Array.from({ length: 20 * 1024 * 1024 }, (_, i) => (i * 2654435761) >>> 24)),
  });
  const filler = {
    description: 'A benchmark package sized like a real one on the public registry.',
    keywords: ['bench', 'cordon'],
    license: 'MIT',
    repository: { type: 'git', url: 'git+https://github.com/example/x.git' },
  };
  for (let i = 0; i < VERSIONS; i++)
    upstream.publish('large', `${1 + Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`, {
      time: NOW - 400 * DAY + i * 60_000,
      tarball: small,
      manifest: filler,
    });
  upstream.publish('large', '999.0.0', { time: NOW - 3_600_000, tarball: small }); // in quarantine: the sweeper refreshes it
  for (let i = 0; i < 50; i++) upstream.publish('small', `1.0.${i}`, { time: NOW - 400 * DAY + i, tarball: small, manifest: filler });
  upstream.publish('bigfile', '1.0.0', { time: NOW - 400 * DAY, tarball: big });
  for (let i = 0; i < QUEUED; i++) {
    upstream.publish(`queued-${i}`, '1.0.0', { time: NOW - 400 * DAY });
    upstream.publish(`queued-${i}`, '1.0.1', { time: NOW - 3_600_000 });
  }
  upstream.tarballDelayMs = 2_000; // analyses stay queued and running through the run

  const server = await startServer(DIST, upstream.url);
  const base = server.url.replace(/\/$/, '');
  const out: string[] = [
    `build: ${DIST}`,
    `${CONNECTIONS} + ${Math.round(CONNECTIONS / 10)} connections for ${SECONDS} s; large packument ${VERSIONS} versions (${(JSON.stringify(upstream.packument('large')).length / 1e6).toFixed(1)} MB), ${QUEUED} analyses queued`,
  ];
  try {
    const mixed: autocannon.Request[] = [
      { method: 'GET', path: '/large', headers: { accept: 'application/json', 'accept-encoding': 'gzip' } },
      { method: 'GET', path: '/large', headers: { accept: ABBREVIATED, 'accept-encoding': 'gzip' } },
      { method: 'GET', path: '/small', headers: { accept: 'application/json', 'accept-encoding': 'gzip' } },
      { method: 'GET', path: '/small', headers: { accept: ABBREVIATED, 'accept-encoding': 'gzip' } },
      { method: 'GET', path: '/small/-/small-1.0.3.tgz' },
      { method: 'GET', path: '/large/-/large-1.0.0.tgz' },
      { method: 'GET', path: '/bigfile/-/bigfile-1.0.0.tgz' },
    ];
    // Warm-up: every answer once (first sight, verified store), the queue filled.
    upstream.tarballDelayMs = 0;
    for (const r of mixed) await (await fetch(`${base}${r.path}`, { headers: r.headers as Record<string, string> })).arrayBuffer();
    upstream.tarballDelayMs = 2_000;
    for (let i = 0; i < QUEUED; i++) await (await fetch(`${base}/queued-${i}`)).arrayBuffer();
    await run({ url: base, connections: 20, duration: 5, requests: mixed });
    const startRss = rssMb(server.child.pid!);
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(rssMb(server.child.pid!)), 1_000);
    const [all, packuments] = await Promise.all([
      run({ url: base, connections: CONNECTIONS, duration: SECONDS, requests: mixed, timeout: 30 }),
      run({ url: base, connections: Math.max(1, Math.round(CONNECTIONS / 10)), duration: SECONDS, requests: [mixed[3]!], timeout: 30 }),
    ]);
    clearInterval(sampler);
    const endRss = rssMb(server.child.pid!);
    out.push(line('mixed', all));
    out.push(line('small packument only', packuments));
    const third = rssSamples.slice(Math.floor(rssSamples.length / 3));
    out.push(
      `server memory (RSS): ${startRss} MB after warm-up, ${endRss} MB at the end (min ${Math.min(...third)}, max ${Math.max(...third)} MB over the last two thirds)`,
    );
  } finally {
    await stopServer(server);
    await upstream.stop();
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
