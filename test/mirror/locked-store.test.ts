import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { DAY, HOUR, NOW, sightAndAnalyse, startApprovalMirror } from '../approvals/approval-mirror';
import { testApprover } from '../approvals/keys';
import { databaseFile, sqliteWriter } from '../helpers/mirror';
import { visibleVersions } from '../helpers/mirror';

const repo = join(__dirname, '..', '..', '..');

/** Another process holding a write lock on the store, as a sqlite3 shell's BEGIN EXCLUSIVE, VACUUM or a backup tool does. */
async function lockStore(file: string): Promise<{ child: ChildProcess; release(): Promise<void> }> {
  const code = `const db = require('better-sqlite3')(${JSON.stringify(file)}); db.exec('BEGIN EXCLUSIVE'); process.stdout.write('locked\\n');
    process.stdin.on('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', code], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (c) => reject(new Error(`the lock holder exited with ${c}`)));
  });
  return {
    child,
    async release() {
      child.stdin!.write('go\n');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

test('a locked or read-only store fails closed without freezing the mirror, and recovers on its own', async () => {
  const alice = testApprover('alice');
  const m = await startApprovalMirror([alice]);
  let lock: Awaited<ReturnType<typeof lockStore>> | null = null;
  try {
    const api = `${m.mirror.url}-/cordon/api/v1/approvals`;
    m.upstream.publish('known', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('known', '1.0.1', { time: NOW - HOUR, scripts: { postinstall: 'node x.js' } });
    m.upstream.publish('fresh', '2.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('fresh2', '3.0.0', { time: NOW - 30 * DAY });
    await sightAndAnalyse(m, 'known');
    assert.equal((await m.mirror.runtime.store.versions.versionOf('known', '1.0.1'))?.state, 'held');
    const res = await fetch(
      `${api}/statement?package=known&version=1.0.1&decision=approve&reason=ok&key=${encodeURIComponent(alice.approver.publicKey)}`,
    );
    const text = ((await res.json()) as { text: string }).text;
    const decide = () =>
      fetch(`${api}/decisions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ package: 'known', version: '1.0.1', statement: text, signature: alice.sign(text) }),
      });

    lock = await lockStore(databaseFile(m.config.dataDir));
    const started = performance.now();
    assert.deepEqual(await visibleVersions(`${m.mirror.url}fresh`), [], 'a first sighting that cannot be written serves no version');
    assert.ok([404, 503].includes((await fetch(`${m.mirror.url}fresh/-/fresh-2.0.0.tgz`)).status), 'its tarball is not served');
    assert.deepEqual(await visibleVersions(`${m.mirror.url}known`), ['1.0.0'], 'known versions are served as the store last decided');
    const refused = await decide();
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { code: string }).code, 'UNAVAILABLE');
    assert.equal(refused.headers.get('retry-after'), '5');
    const ping = performance.now();
    assert.equal((await fetch(`${m.mirror.url}-/ping`)).status, 200);
    // The store answers "busy" after storeBusyTimeout (250 ms), not after 5 s per statement.
    assert.ok(performance.now() - ping < 2_000 && performance.now() - started < 10_000, 'no request waited out a long busy timeout');
    assert.equal((await m.mirror.runtime.store.versions.versionOf('known', '1.0.1'))?.state, 'held', 'nothing changed');
    await lock.release();
    lock = null;

    assert.deepEqual(await visibleVersions(`${m.mirror.url}fresh`), ['2.0.0'], 'recovered: first sight is recorded');
    const accepted = await decide();
    assert.equal(accepted.status, 201, await accepted.clone().text());
    assert.equal((await m.mirror.runtime.store.versions.versionOf('known', '1.0.1'))?.state, 'approved');

    // A read-only store (a full or remounted disk, a read-only volume): the same, and back once writable.
    sqliteWriter(m.mirror.runtime.store).pragma('query_only = 1');
    assert.deepEqual(await visibleVersions(`${m.mirror.url}fresh2`), []);
    assert.equal((await fetch(`${m.mirror.url}-/cordon/api/v1/packages/known`)).status, 200, 'reads still work');
    sqliteWriter(m.mirror.runtime.store).pragma('query_only = 0');
    assert.deepEqual(await visibleVersions(`${m.mirror.url}fresh2`), ['3.0.0']);
  } finally {
    await lock?.release();
    await m.stop();
  }
});
