/**
 * Two mirrors (one process each would do the same; here two in one process, each with its own data
 * folder) on one PostgreSQL database: what one sees first is quarantined on the other, and a decision
 * posted to one shows through the other's packument cache and guard, which are keyed on the change
 * generation the other mirror hears through LISTEN/NOTIFY.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FakeUpstream } from '../helpers/fake-upstream';
import { DAY, HOUR, NOW, startTestMirror, visibleVersions, type TestMirror } from '../helpers/mirror';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { testApprover } from '../approvals/keys';

const alice = testApprover('alice');
let db: TestDatabase;
let upstream: FakeUpstream;
let a: TestMirror;
let b: TestMirror;
const dir = mkdtempSync(join(tmpdir(), 'cordon-two-mirrors-'));

before(async () => {
  db = await createTestDatabase();
  upstream = await new FakeUpstream().start();
  const config = join(dir, 'cordon.yaml');
  writeFileSync(config, stringify({ approvers: [{ name: 'alice', key: alice.approver.line }], quorum: { critical: 1 } }));
  const env = { CORDON_CONFIG: config, CORDON_DATABASE_URL: db.url, CORDON_UPSTREAM_MAXAGE: '30s' };
  a = await startTestMirror({ upstream, now: NOW, env });
  b = await startTestMirror({ upstream, now: NOW, env });
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await upstream?.stop();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls `check` until it holds (the other mirror hears of a change through LISTEN/NOTIFY). */
async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('both mirrors share one mirror id and one truth: a first sight on A is quarantined on B', async () => {
  assert.equal(a.mirror.runtime.mirrorId, b.mirror.runtime.mirrorId);
  upstream.publish('lib', '1.0.0', { time: NOW - 30 * DAY });
  upstream.publish('lib', '1.0.1', { time: NOW - HOUR, scripts: { postinstall: 'node x.js' }, files: { 'x.js': 'process.exit(0)\n' } });
  assert.deepEqual(await visibleVersions(`${a.mirror.url}lib`), ['1.0.0']);
  assert.equal((await b.mirror.runtime.store.versions.versionOf('lib', '1.0.1'))?.state, 'quarantined');
  assert.deepEqual(await visibleVersions(`${b.mirror.url}lib`), ['1.0.0']);
  assert.equal((await fetch(`${b.mirror.url}lib/-/lib-1.0.1.tgz`)).status, 403);
});

test('an approval posted to B makes the version installable through A, through its warm packument cache', async () => {
  await Promise.all([a.mirror.pipeline.drain(), b.mirror.pipeline.drain()]);
  await eventually(
    'the analysis to hold 1.0.1',
    async () => (await a.mirror.runtime.store.versions.versionOf('lib', '1.0.1'))?.state === 'held',
  );
  // A answers the packument from its cache now (a second identical request).
  assert.deepEqual(await visibleVersions(`${a.mirror.url}lib`), ['1.0.0']);
  assert.deepEqual(await visibleVersions(`${a.mirror.url}lib`), ['1.0.0']);
  const api = `${b.mirror.url}-/cordon/api/v1/approvals`;
  const { text } = (await (
    await fetch(
      `${api}/statement?package=lib&version=1.0.1&decision=approve&reason=reviewed&key=${encodeURIComponent(alice.approver.publicKey)}`,
    )
  ).json()) as { text: string };
  const res = await fetch(`${api}/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ package: 'lib', version: '1.0.1', statement: text, signature: alice.sign(text) }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const posted = Date.now();
  await eventually('A to serve 1.0.1', async () => (await visibleVersions(`${a.mirror.url}lib`)).includes('1.0.1'));
  const ms = Date.now() - posted;
  assert.equal((await fetch(`${a.mirror.url}lib/-/lib-1.0.1.tgz`)).status, 200);
  assert.ok(a.mirror.runtime.store.changes.live, 'A heard the change through its live feed');
  // Measured, not asserted as a timing (speed goes in benchmarks): the issue asks for under a second.
  process.stdout.write(`# A served the approval posted to B after ${ms} ms\n`);
});
