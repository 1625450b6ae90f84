/**
 * `npm run bench:request-cpu`: CPU time the server process spends per request — its user + system time
 * from /proc over a fixed number of requests — for plain Verdaccio and for Cordon, on the hot rows: an
 * abbreviated packument (Cordon answers it from its packument cache), a released tarball, and a refused
 * tarball. Unlike requests per second, CPU per request barely moves when other processes load the
 * machine, so it shows what a change on the request path costs (metrics, request ids, logging). Linux.
 *
 * Settings (environment): BENCH_REQUESTS per row (default 20000), BENCH_CONCURRENCY (8), BENCH_ROUNDS
 * (3; each row is measured this many times per server, alternating servers, and the median printed).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeUpstream } from '../test/helpers/fake-upstream';
import { benchPackages, publishBenchPackage } from './fixture';
import type { ReadyMessage, ServerKind } from './serve';

const REQUESTS = Number(process.env.BENCH_REQUESTS || 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

interface Server {
  readonly kind: ServerKind;
  readonly url: string;
  readonly child: ChildProcess;
  readonly dataDir: string;
}

/** CPU time of a process so far, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function start(kind: ServerKind, upstream: string, now: number): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), `cordon-bench-cpu-${kind}-`));
  const child = fork(join(__dirname, 'serve.js'), [kind, upstream, dataDir, String(now)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const { url } = await new Promise<ReadyMessage>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ReadyMessage));
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return { kind, url, child, dataDir };
}

/** `count` GETs of `url` over `concurrency` keep-alive connections; resolves with the statuses seen. */
async function load(url: string, accept: string, count: number): Promise<Map<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<number, number>();
  let sent = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      get(url, { agent, headers: { accept, 'accept-encoding': 'gzip, deflate', 'user-agent': 'cordon-bench' } }, (res) => {
        statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1);
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent++ < count) await one();
    }),
  );
  agent.destroy();
  return statuses;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const now = Date.now();
  const upstream = await new FakeUpstream().start();
  const small = benchPackages(3000).find((p) => p.name === 'bench-small')!;
  publishBenchPackage(upstream, small, now);
  const hidden = `1.0.${small.versions - 1}`; // the newest version is inside the cooldown
  const rows = [
    { label: 'packument abbreviated bench-small', path: small.name, accept: ABBREVIATED, cordonStatus: 200 },
    {
      label: 'tarball bench-small (released)',
      path: `${small.name}/-/${small.name}-${small.tarballVersion}.tgz`,
      accept: '*/*',
      cordonStatus: 200,
    },
    { label: 'tarball bench-small (quarantined)', path: `${small.name}/-/${small.name}-${hidden}.tgz`, accept: '*/*', cordonStatus: 403 },
  ];
  const servers = [await start('plain', upstream.url, now), await start('cordon', upstream.url, now)];
  try {
    console.log(
      `cordon bench:request-cpu — ${REQUESTS} requests per row, ${CONCURRENCY} connections, median of ${ROUNDS} rounds, node ${process.version}`,
    );
    console.log(`${'row'.padEnd(36)} ${'plain µs/req'.padStart(13)} ${'cordon µs/req'.padStart(14)} ${'cordon-plain'.padStart(13)}`);
    for (const row of rows) {
      const samples: Record<string, number[]> = { plain: [], cordon: [] };
      for (const s of servers) await load(`${s.url}${row.path}`, row.accept, 2_000); // first sight, uplink cache, JIT
      for (let round = 0; round < ROUNDS; round++) {
        for (const s of servers) {
          const before = cpuMs(s.child.pid!);
          const statuses = await load(`${s.url}${row.path}`, row.accept, REQUESTS);
          const expected = s.kind === 'cordon' ? row.cordonStatus : 200;
          if (statuses.get(expected) !== REQUESTS)
            throw new Error(`${s.kind} ${row.label}: statuses ${JSON.stringify([...statuses])}, expected ${REQUESTS}× ${expected}`);
          samples[s.kind]!.push(((cpuMs(s.child.pid!) - before) * 1000) / REQUESTS);
        }
      }
      const plain = median(samples.plain!);
      const cordon = median(samples.cordon!);
      console.log(
        `${row.label.padEnd(36)} ${plain.toFixed(1).padStart(13)} ${cordon.toFixed(1).padStart(14)} ${(cordon - plain).toFixed(1).padStart(13)}`,
      );
    }
  } finally {
    for (const s of servers) {
      s.child.send('stop');
      await new Promise((r) => s.child.once('exit', r));
      rmSync(s.dataDir, { recursive: true, force: true });
    }
    await upstream.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:request-cpu failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
