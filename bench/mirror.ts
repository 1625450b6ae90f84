/**
 * `npm run bench:mirror`: packument and tarball throughput and latency through Cordon against the
 * same Verdaccio without the Cordon plugins, side by side in one run.
 *
 * Both servers run as child processes on 127.0.0.1 against one fake upstream in this process; the
 * load comes from this process too (closed loop, BENCH_CONCURRENCY keep-alive connections), and
 * each row is measured on one server at a time so they never compete for the cores. Verdaccio
 * caches uplink metadata for 2 minutes, so each package is warmed on both servers right before its
 * rows and all its rows finish well inside that window; the `up` column shows how many requests
 * reached the upstream during a measured window (0 = served from cache; Cordon's sweeper also
 * re-reads packages with quarantined versions once a minute).
 *
 * Settings (environment): BENCH_SECONDS (per row and server, default 8), BENCH_CONCURRENCY (8),
 * BENCH_VERSIONS (versions of the large packument, 3000), BENCH_ENCODING (Accept-Encoding sent,
 * default "gzip, deflate" as npm sends; "identity" for none), BENCH_ROWS (a regular expression: only
 * rows whose label matches run, e.g. "tarball bench-large"), BENCH_PROFILE (a folder: the servers run
 * with --cpu-prof and write their profiles there; combine with BENCH_ROWS to profile one row),
 * BENCH_PROTOTYPE=1 (also measures Cordon with the proposed server/http/packument-cache wired in, as
 * a third server, printed as a second table against the same plain Verdaccio figures),
 * BENCH_POSTGRES=0 (leave PostgreSQL out).
 *
 * When PostgreSQL answers (on the server CORDON_DATABASE_URL names, else postgres://postgres@127.0.0.1:5432),
 * a third server, Cordon with its store on a fresh database of its own (dropped afterwards), is measured in
 * the same run, and each row shows its ratio to Cordon on SQLite: issue 14's target is every row within 10%.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FakeUpstream } from '../test/helpers/fake-upstream';
import { benchPackages, publishBenchPackage, type BenchPackage } from './fixture';
import { percentile, runLoad, type LoadResult } from './load';
import type { ReadyMessage, ServerKind } from './serve';
import { createBenchDatabase, type BenchDatabase } from './postgres';
import { formatTable, type Row } from './table';

const SECONDS = positive('BENCH_SECONDS', 8);
const CONCURRENCY = positive('BENCH_CONCURRENCY', 8);
const VERSIONS = positive('BENCH_VERSIONS', 3000);
const ENCODING = process.env.BENCH_ENCODING || 'gzip, deflate';
const ROWS = new RegExp(process.env.BENCH_ROWS || '.');
const PROTOTYPE = process.env.BENCH_PROTOTYPE === '1';
const PROFILE_DIR = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : '';
const POSTGRES = process.env.BENCH_POSTGRES !== '0';
const WARM_MS = 1_000;
const UPLINK_MAXAGE_MS = 120_000;
// What npm sends for `npm install` (abbreviated) and `npm view` (full).
const ACCEPT_ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
const ACCEPT_FULL = 'application/json';

function positive(key: string, fallback: number): number {
  const raw = process.env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${key} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

interface RunningServer {
  readonly kind: ServerKind;
  readonly url: string;
  readonly child: ChildProcess;
  readonly dataDir: string;
}

function startServer(kind: ServerKind, upstreamUrl: string, now: number, databaseUrl?: string): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `cordon-bench-${kind}-`));
  const execArgv = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', `${kind}.cpuprofile`] : [];
  const child = fork(join(__dirname, 'serve.js'), [kind, upstreamUrl, dataDir, String(now), ...(databaseUrl ? [databaseUrl] : [])], {
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolvePromise, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${kind} server exited with code ${code} before it listened`)));
    child.once('message', (message) => {
      child.removeAllListeners('exit');
      resolvePromise({ kind, url: (message as ReadyMessage).url, child, dataDir });
    });
  });
}

async function stopServer(server: RunningServer): Promise<void> {
  if (server.child.exitCode === null) {
    const exited = new Promise<void>((r) => server.child.once('exit', () => r()));
    server.child.send('stop');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(server.dataDir, { recursive: true, force: true });
}

interface RowSpec {
  readonly label: string;
  readonly path: (pkg: BenchPackage) => string;
  readonly accept: string;
}

const ROW_KINDS: readonly RowSpec[] = [
  { label: 'packument full', path: (p) => p.name, accept: ACCEPT_FULL },
  { label: 'packument abbreviated', path: (p) => p.name, accept: ACCEPT_ABBREVIATED },
  { label: 'tarball', path: (p) => `${p.name}/-/${p.name}-${p.tarballVersion}.tgz`, accept: '*/*' },
];

async function getJson(url: string, accept: string): Promise<{ versions?: Record<string, unknown>; 'dist-tags'?: Record<string, string> }> {
  const res = await fetch(url, { headers: { accept } });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as { versions?: Record<string, unknown> };
}

/** First sight of `pkg` on `server` (fetches from upstream, Cordon classifies), then checks what it shows. */
async function warmPackage(server: RunningServer, pkg: BenchPackage): Promise<string> {
  const full = await getJson(`${server.url}${pkg.name}`, ACCEPT_FULL);
  const abbreviated = await getJson(`${server.url}${pkg.name}`, ACCEPT_ABBREVIATED);
  const tarball = await fetch(`${server.url}${ROW_KINDS[2]!.path(pkg)}`);
  await tarball.arrayBuffer();
  if (!tarball.ok) throw new Error(`${server.kind}: tarball of ${pkg.name}@${pkg.tarballVersion} answered ${tarball.status}`);
  // Asked again: for the prototype this one comes from its cache and must say exactly the same.
  if (JSON.stringify(await getJson(`${server.url}${pkg.name}`, ACCEPT_FULL)) !== JSON.stringify(full))
    throw new Error(`${server.kind}: a second GET of ${pkg.name} differs from the first`);
  const shown = Object.keys(full.versions ?? {}).length;
  const expected = server.kind !== 'plain' ? pkg.versions - pkg.quarantined : pkg.versions;
  if (shown !== expected || Object.keys(abbreviated.versions ?? {}).length !== expected) {
    throw new Error(
      `${server.kind} shows ${shown} versions of ${pkg.name} (abbreviated ${Object.keys(abbreviated.versions ?? {}).length}), expected ${expected}`,
    );
  }
  return `${server.kind}: ${pkg.name} ${shown}/${pkg.versions} versions visible, latest ${full['dist-tags']?.latest}`;
}

async function measure(
  server: RunningServer,
  url: string,
  accept: string,
  upstream: FakeUpstream,
): Promise<{ result: LoadResult; upstreamHits: number }> {
  const headers = { accept, 'accept-encoding': ENCODING, 'user-agent': 'cordon-bench' };
  await runLoad({ url, headers, concurrency: CONCURRENCY, durationMs: WARM_MS });
  const before = upstream.requests.length;
  const result = await runLoad({ url, headers, concurrency: CONCURRENCY, durationMs: SECONDS * 1000 });
  void server;
  return { result, upstreamHits: upstream.requests.length - before };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const now = Date.now();
  const packages = benchPackages(VERSIONS);
  const upstream = await new FakeUpstream().start();
  for (const pkg of packages) publishBenchPackage(upstream, pkg, now);
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });

  const servers: RunningServer[] = [];
  let database: BenchDatabase | null = null;
  try {
    servers.push(await startServer('plain', upstream.url, now));
    servers.push(await startServer('cordon', upstream.url, now));
    if (PROTOTYPE) servers.push(await startServer('cordon-cached', upstream.url, now));
    let postgresNote = 'PostgreSQL left out (BENCH_POSTGRES=0)';
    if (POSTGRES) {
      const created = await createBenchDatabase();
      if ('skipped' in created) postgresNote = `PostgreSQL left out: ${created.skipped}`;
      else {
        database = created;
        servers.push(await startServer('cordon-pg', upstream.url, now, created.url));
        postgresNote = 'Cordon on PostgreSQL: a fresh database on the same machine, dropped afterwards';
      }
    }
    console.log(
      `cordon bench:mirror — ${SECONDS}s per row and server, ${CONCURRENCY} concurrent keep-alive requests, Accept-Encoding: ${ENCODING}, node ${process.version}; ${postgresNote}`,
    );
    const rows: Row[] = [];
    const prototypeRows: Row[] = [];
    for (const pkg of packages) {
      const warmedAt = performance.now();
      for (const server of servers) console.log(`  warm: ${await warmPackage(server, pkg)}`);
      for (const spec of ROW_KINDS) {
        const label = `${spec.label} ${pkg.name} (${pkg.versions} v)`;
        if (!ROWS.test(label)) continue;
        const cells: Partial<Record<ServerKind, { result: LoadResult; upstreamHits: number }>> = {};
        // Alternate which server goes first, so drift on a shared machine does not favour one side.
        const order = rows.length % 2 === 0 ? servers : [...servers].reverse();
        for (const server of order) cells[server.kind] = await measure(server, `${server.url}${spec.path(pkg)}`, spec.accept, upstream);
        rows.push({ label, plain: cells.plain!, cordon: cells.cordon!, ...(cells['cordon-pg'] ? { postgres: cells['cordon-pg'] } : {}) });
        if (PROTOTYPE) prototypeRows.push({ label, plain: cells.plain!, cordon: cells['cordon-cached']! });
      }
      const elapsed = performance.now() - warmedAt;
      if (elapsed > UPLINK_MAXAGE_MS)
        console.log(
          `  note: the rows of ${pkg.name} took ${(elapsed / 1000).toFixed(0)}s, longer than Verdaccio's 2m uplink cache; see the up column`,
        );
    }
    console.log('');
    console.log(formatTable(rows, percentile));
    if (PROTOTYPE)
      console.log(
        `\nPROTOTYPE, not what npm start runs: Cordon + server/http/packument-cache (same plain figures)\n${formatTable(prototypeRows, percentile, 'Cordon + packument cache')}`,
      );
    console.log(`\ntotal ${((performance.now() - startedAt) / 1000).toFixed(0)}s`);
  } finally {
    for (const server of servers) await stopServer(server);
    await upstream.stop();
    await database?.drop().catch((err: unknown) => console.error(`could not drop the benchmark database: ${(err as Error).message}`));
    if (PROFILE_DIR) console.log(`cpu profiles in ${PROFILE_DIR}`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench:mirror failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exitCode = 1;
});
