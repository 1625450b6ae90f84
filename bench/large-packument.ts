/**
 * `npm run bench:large-packument`: what large packuments cost the mirror (issue 13).
 *
 * - `huge`: first sight of a package with BENCH_HUGE_VERSIONS (100,000) old versions, then later requests.
 * - `fat`: a packument of about 48 MB (BENCH_FAT_VERSIONS versions of ~10 KB), first and later requests.
 * - starvation: 8 clients fetching `fat` at once while a small, cached packument is fetched every 50 ms;
 *   how long the small one waits.
 *
 * The server runs as a child process (`serve.js` of BENCH_DIST, default this build, so the same bench can
 * measure an older build: BENCH_DIST=/path/to/old/dist) against a fake upstream in this process.
 * BENCH_PROFILE=DIR writes the server's CPU profile there.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeUpstream } from '../test/helpers/fake-upstream';
import { packTarball } from '../test/helpers/pack-tarball';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const DIST = resolve(process.env.BENCH_DIST ?? join(__dirname, '..'));
const HUGE = Number(process.env.BENCH_HUGE_VERSIONS ?? 100_000);
const FAT = Number(process.env.BENCH_FAT_VERSIONS ?? 4_800);

/** The resident memory of a process in MB (Linux). */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Starts `serve.js cordon` of `dist` against `upstream`; resolves its URL. */
export function startServer(
  dist: string,
  upstream: string,
  env: Record<string, string> = {},
  execArgv: string[] = [],
): Promise<{ url: string; child: ChildProcess; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-bench-robust-'));
  const child = fork(join(dist, 'bench', 'serve.js'), ['cordon', upstream, dataDir, String(NOW)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
    execArgv,
  });
  return new Promise((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`the server exited with ${code}`)));
    child.once('message', (m) => {
      child.removeAllListeners('exit');
      ok({ url: (m as { url: string }).url, child, dataDir });
    });
  });
}

/** Stops a server started by startServer and removes its data. */
export async function stopServer(s: { child: ChildProcess; dataDir: string }): Promise<void> {
  if (s.child.exitCode === null) {
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.send('stop');
    const t = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  rmSync(s.dataDir, { recursive: true, force: true });
}

/** Milliseconds one GET takes, body read. */
export async function timed(url: string, headers: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const upstream = await new FakeUpstream().start();
  const tarball = packTarball({ 'package.json': '{"name":"x","version":"1.0.0"}', 'index.js': 'module.exports = 1;\n' });
  for (let i = 0; i < HUGE; i++)
    upstream.publish('huge', `${1 + Math.floor(i / 1000)}.${Math.floor(i / 10) % 100}.${i % 10}`, { time: NOW - 400 * DAY + i, tarball });
  const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(170);
  for (let i = 0; i < FAT; i++)
    upstream.publish('fat', `1.${Math.floor(i / 100)}.${i % 100}`, {
      time: NOW - 400 * DAY + i,
      tarball,
      manifest: { description: filler },
    });
  upstream.publish('fat', '9.0.0', { time: NOW - 3_600_000, tarball });
  for (let i = 0; i < 20; i++) upstream.publish('small', `1.0.${i}`, { time: NOW - 400 * DAY + i, tarball });
  const fatBytes = JSON.stringify(upstream.packument('fat')).length;
  const hugeBytes = JSON.stringify(upstream.packument('huge')).length;

  const server = await startServer(
    DIST,
    upstream.url,
    {},
    process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.env.BENCH_PROFILE)] : [],
  );
  const out: string[] = [`build: ${DIST}`];
  try {
    await timed(`${server.url}small`);
    // While the first sight of `huge` is recorded, a small packument is fetched every 50 ms.
    const during: number[] = [];
    let duringErrors = 0;
    let sighting = true;
    const pollDuring = (async () => {
      while (sighting) {
        // A request the server failed (a connection reset while its event loop was held) counts as an error.
        await timed(`${server.url}small`).then(
          (ms) => during.push(ms),
          () => duringErrors++,
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const first = await timed(`${server.url}huge`);
    sighting = false;
    await pollDuring;
    out.push(
      `a small cached packument during the first sight of huge: median ${median(during).toFixed(0)} ms, max ${Math.max(...during).toFixed(0)} ms (${during.length} requests, ${duringErrors} failed)`,
    );
    const later: number[] = [];
    for (let i = 0; i < 5; i++) later.push(await timed(`${server.url}huge`));
    out.push(
      `huge (${HUGE} versions, ${(hugeBytes / 1e6).toFixed(1)} MB): first sight ${first.toFixed(0)} ms, later requests median ${median(later).toFixed(0)} ms (max ${Math.max(...later).toFixed(0)} ms)`,
    );

    const fatFirst = await timed(`${server.url}fat`);
    const fatLater: number[] = [];
    for (let i = 0; i < 5; i++) fatLater.push(await timed(`${server.url}fat`));
    out.push(
      `fat (${FAT + 1} versions, ${(fatBytes / 1e6).toFixed(1)} MB): first ${fatFirst.toFixed(0)} ms, later requests median ${median(fatLater).toFixed(0)} ms (max ${Math.max(...fatLater).toFixed(0)} ms)`,
    );

    const smallWaits: number[] = [];
    let done = false;
    let smallErrors = 0;
    const poll = (async () => {
      while (!done) {
        await timed(`${server.url}small`).then(
          (ms) => smallWaits.push(ms),
          () => smallErrors++,
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 8 }, () => timed(`${server.url}fat`)));
    const eight = performance.now() - t0;
    done = true;
    await poll;
    out.push(
      `8 concurrent requests for fat: all done in ${eight.toFixed(0)} ms; a small cached packument meanwhile: median ${median(smallWaits).toFixed(0)} ms, max ${Math.max(...smallWaits).toFixed(0)} ms (${smallWaits.length} requests, ${smallErrors} failed)`,
    );
    out.push(`server memory (RSS) at the end: ${rssMb(server.child.pid!)} MB`);
  } finally {
    await stopServer(server);
    await upstream.stop();
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
