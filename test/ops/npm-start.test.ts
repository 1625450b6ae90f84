/**
 * `npm start` as an operator runs it: a real npm running the package's start script, on a temp data
 * folder, against the fake upstream. (`--ignore-scripts` skips only the prestart build: the tests run
 * the build they were compiled by, and a rebuild would pull dist/ from under the suite.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeUpstream } from '../helpers/fake-upstream';
import { DAY, HOUR } from '../helpers/mirror';

const ROOT = join(__dirname, '..', '..', '..');
const NOW = Date.now();

interface Started {
  readonly npm: ChildProcess;
  readonly url: string;
  /** The pid of the mirror (node), from its first log line. */
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first parsed JSON line matching `match`. */
  waitFor(match: (line: Record<string, any>) => boolean, what: string, ms?: number): Promise<Record<string, any>>;
}

let upstream: FakeUpstream;
const home = mkdtempSync(join(tmpdir(), 'cordon-npm-start-'));
const started: Started[] = [];

before(async () => {
  upstream = await new FakeUpstream().start();
  upstream.publish('served-lib', '1.0.0', { time: NOW - 30 * DAY });
  upstream.publish('held-lib', '1.0.0', { time: NOW - 30 * DAY });
  upstream.publish('held-lib', '1.0.1', { time: NOW - HOUR });
  mkdirSync(join(home, 'tmp'));
  writeFileSync(join(home, 'npmrc'), '');
});

after(async () => {
  for (const s of started) if (s.npm.exitCode === null && s.npm.signalCode === null) s.npm.kill('SIGKILL');
  for (const s of started) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  await upstream.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Runs `npm start` with its own npm config, cache, home and temp folder, and waits for the mirror's listening line. */
async function npmStart(name: string, env: Record<string, string> = {}): Promise<Started> {
  const dataDir = join(home, `data-${name}`);
  const npm = spawn('npm', ['start', '--ignore-scripts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      TMPDIR: join(home, 'tmp'),
      npm_config_userconfig: join(home, 'npmrc'),
      npm_config_cache: join(home, 'npm-cache'),
      npm_config_update_notifier: 'false',
      CORDON_CONFIG: '',
      CORDON_DATA_DIR: dataDir,
      CORDON_PORT: '0',
      CORDON_UPSTREAM: upstream.url,
      CORDON_UPSTREAM_MAXAGE: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let partial = '';
  npm.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  let stderr = '';
  npm.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const parsed = (): Record<string, any>[] => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
  const waitFor = async (match: (line: Record<string, any>) => boolean, what: string, ms = 30_000): Promise<Record<string, any>> => {
    const end = Date.now() + ms;
    for (;;) {
      const found = parsed().find(match);
      if (found) return found;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  const listening = await waitFor((l) => typeof l.url === 'string' && /listening on/.test(l.msg), 'the mirror to listen');
  const s = { npm, url: listening.url as string, pid: listening.pid as number, lines, exited, waitFor };
  started.push(s);
  return s;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const portRefuses = (url: string): Promise<boolean> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });

test('npm start logs JSON lines, a refusal among them at the default level; SIGTERM to npm drains a slow request, stops the mirror and exits 0', async () => {
  const s = await npmStart('term');
  assert.notEqual(s.pid, s.npm.pid, 'the mirror is its own process');

  const refused = await fetch(`${s.url}held-lib/-/held-lib-1.0.1.tgz`, { headers: { 'user-agent': 'npm/10.9.0 node/v20 ci/jenkins' } });
  assert.equal(refused.status, 403);
  const line = await s.waitFor((l) => l.event === 'refusal', 'the refusal to be logged');
  assert.equal(line.level, 40, 'warn: shown at the default level');
  assert.deepEqual(
    [line.package, line.version, line.state, line.userAgent, line.reqId],
    ['held-lib', '1.0.1', 'quarantined', 'npm/10.9.0 node/v20 ci/jenkins', refused.headers.get('x-request-id')],
  );
  assert.match(String(line.address), /127\.0\.0\.1/);

  // A slow request is in flight when the signal comes: it still completes.
  upstream.tarballDelayMs = 1_500;
  const slow = fetch(`${s.url}served-lib/-/served-lib-1.0.0.tgz`);
  const end = Date.now() + 20_000;
  while (!upstream.requests.some((r) => r.includes('served-lib-1.0.0.tgz'))) {
    assert.ok(Date.now() < end, 'the mirror asked upstream for the tarball');
    await new Promise((r) => setTimeout(r, 20));
  }
  s.npm.kill('SIGTERM');
  const res = await slow;
  assert.equal(res.status, 200, 'the request in flight is answered');
  assert.equal((await res.arrayBuffer()).byteLength > 0, true);
  upstream.tarballDelayMs = 0;

  const { code, signal } = await s.exited;
  assert.equal(signal, null);
  assert.equal(code, 0, 'npm start exits 0');
  await s.waitFor((l) => l.msg === 'cordon: stopped', 'the stopped line');
  assert.equal(alive(s.pid), false, 'no mirror process is left');
  assert.equal(await portRefuses(s.url), true, 'nothing listens on the port');
  for (const l of s.lines) if (l !== '' && !l.startsWith('> ')) assert.doesNotThrow(() => JSON.parse(l), `not a JSON line: ${l}`);
  const banner = s.lines.filter((l) => l.startsWith('> '));
  assert.equal(banner.length, 2, "npm's own banner is the only other output (npm start --silent drops it)");
  assert.match(banner[0]!, /^> cordon@\S+ start$/);
  assert.equal(banner[1], '> exec node dist/server/main.js');
});

test("a killed npm does not leave the mirror running: it notices, stops cleanly and frees the port; Verdaccio's request lines carry the request id", async () => {
  const s = await npmStart('kill', { CORDON_LOG_LEVEL: 'http' });
  const res = await fetch(`${s.url}served-lib`, { headers: { 'x-request-id': 'trace-42' } });
  assert.equal(res.status, 200);
  const verdaccioLine = await s.waitFor((l) => l.level === 25 && l.request?.url === '/served-lib', "Verdaccio's line for the request");
  assert.equal(verdaccioLine.reqId, 'trace-42');

  s.npm.kill('SIGKILL');
  await s.exited;
  await s.waitFor((l) => l.signal === 'parent-exited', 'the mirror to notice npm is gone', 15_000);
  await s.waitFor((l) => l.msg === 'cordon: stopped', 'the mirror to stop', 15_000);
  const end = Date.now() + 10_000;
  while (alive(s.pid)) {
    assert.ok(Date.now() < end, 'the mirror process exits');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await portRefuses(s.url), true);
});
