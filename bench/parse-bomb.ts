/**
 * `npm run bench:parse-bomb`: a version whose `index.js` is BENCH_BOMB_MB (30) MB of `a;` (gigabytes of
 * syntax tree if parsed), analysed beside an unrelated version. Prints the server's memory before and at
 * its peak, how long the unrelated version waited for its analysis, how the bomb ended, and the slowest
 * `/-/ping` meanwhile. BENCH_DIST=/path/to/dist measures another build (see bench:large-packument).
 */
import { join, resolve } from 'node:path';
import { FakeUpstream } from '../test/helpers/fake-upstream';
import { rssMb, startServer, stopServer } from './large-packument';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const DIST = resolve(process.env.BENCH_DIST ?? join(__dirname, '..'));
const MB = Number(process.env.BENCH_BOMB_MB ?? 30);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 180);

interface Status {
  versions: Array<{ version: string; state: string; analysis?: { state: string }; findings?: Array<{ rule: string }> }>;
}

async function analysis(url: string, name: string, version: string): Promise<{ state: string; analysis: string; rules: string[] } | null> {
  try {
    const body = (await (await fetch(`${url}-/cordon/api/v1/packages/${name}`)).json()) as Status;
    const v = body.versions.find((x) => x.version === version);
    return v ? { state: v.state, analysis: v.analysis?.state ?? '?', rules: (v.findings ?? []).map((f) => f.rule) } : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const upstream = await new FakeUpstream().start();
  upstream.publish('bomb', '1.0.0', { time: NOW - 30 * DAY });
  upstream.publish('bomb', '1.0.1', { time: NOW - 3_600_000, files: { 'index.js': `${'a;'.repeat(MB * 512 * 1024)}\n` } });
  upstream.publish('bystander', '1.0.0', { time: NOW - 30 * DAY });
  upstream.publish('bystander', '1.0.1', { time: NOW - 3_600_000 });
  const server = await startServer(DIST, upstream.url);
  const pid = server.child.pid!;
  let exited: string | null = null;
  server.child.once('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
  const out: string[] = [`build: ${DIST}`, `bomb: index.js of ${MB} MB of "a;"`];
  try {
    const before = rssMb(pid);
    const started = performance.now();
    await (await fetch(`${server.url}bomb`)).arrayBuffer();
    await (await fetch(`${server.url}bystander`)).arrayBuffer();
    let peak = before;
    let pingMax = 0;
    let bystanderAt: number | null = null;
    let bomb: Awaited<ReturnType<typeof analysis>> = null;
    while (!exited && performance.now() - started < MAX_SECONDS * 1000) {
      peak = Math.max(peak, rssMb(pid) || 0);
      const t0 = performance.now();
      try {
        await fetch(`${server.url}-/ping`, { signal: AbortSignal.timeout(60_000) });
        pingMax = Math.max(pingMax, performance.now() - t0);
      } catch {
        break;
      }
      const b = await analysis(server.url, 'bystander', '1.0.1');
      if (bystanderAt === null && b && b.analysis !== 'pending' && b.analysis !== 'running') bystanderAt = performance.now() - started;
      bomb = await analysis(server.url, 'bomb', '1.0.1');
      if (bystanderAt !== null && bomb && bomb.analysis !== 'pending' && bomb.analysis !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    out.push(`server memory (RSS): ${before} MB before, peak ${peak} MB`);
    out.push(
      `unrelated version analysed after: ${bystanderAt === null ? `not within ${MAX_SECONDS} s` : `${(bystanderAt / 1000).toFixed(1)} s`}`,
    );
    out.push(
      `bomb: ${exited ? `the server ${exited}` : bomb ? `${bomb.state}, analysis ${bomb.analysis}${bomb.rules.length ? ` (${bomb.rules.join(', ')})` : ''}` : 'unknown'}`,
    );
    out.push(`slowest /-/ping meanwhile: ${pingMax.toFixed(0)} ms; total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    if (!exited) await stopServer(server);
    await upstream.stop();
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
