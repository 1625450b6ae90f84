import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dataPaths,
  DataFolderError,
  isStoreUnavailable,
  openSqliteStore,
  openStore,
  readIdentity,
  StorageError,
  writeIdentity,
  type Store,
} from '../../../storage';
import type { VersionRecord } from '../../../server/policy/version-state';
import { versionRecord } from '../../helpers/version-record';

const T = Date.parse('2026-11-20T12:00:00Z');
const rec = (version: string, state: VersionRecord['state'] = 'quarantined'): VersionRecord =>
  versionRecord('demo', version, state, { integrity: 'sha512-AAAA' });

async function withStore(fn: (store: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-sqlite-store-'));
  const store = openSqliteStore(dir, { busyTimeoutMs: 250 });
  try {
    await fn(store, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('openStore opens the SQLite store of the data folder by default, and its ports answer with promises', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-sqlite-store-'));
  const store = await openStore({ dataDir: dir, storeBusyTimeoutMs: 250, databaseUrl: null });
  try {
    assert.equal(store.backend, 'sqlite');
    assert.equal(await store.versions.hasPackage('demo'), false);
    await store.versions.recordSighting('demo', T, [rec('1.0.0')], []);
    assert.deepEqual(
      (await store.versions.versionsOf('demo')).map((v) => v.state),
      ['quarantined'],
    );
    assert.equal((await store.audit.head())?.id, 1);
  } finally {
    await store.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

test('atomically: its own reads see its writes, the reader sees them only after COMMIT, and a throw rolls everything back', async () => {
  await withStore(async (store) => {
    await store.versions.recordSighting('demo', T, [rec('1.0.0')], []);
    let seenInside: string | undefined;
    let seenOutside: string | undefined;
    await store.atomically(async (tx) => {
      // The stores' own db.transaction() nests as a SAVEPOINT inside the manual BEGIN IMMEDIATE.
      assert.equal(
        await tx.versions.transition({
          package: 'demo',
          version: '1.0.0',
          from: 'quarantined',
          to: 'released',
          reason: 'cooled down',
          cause: 'cooldown-ended',
          at: T + 1,
        }),
        true,
      );
      seenInside = (await tx.versions.versionOf('demo', '1.0.0'))?.state;
      seenOutside = (await store.versions.versionOf('demo', '1.0.0'))?.state;
    });
    assert.deepEqual(
      [seenInside, seenOutside, (await store.versions.versionOf('demo', '1.0.0'))?.state],
      ['released', 'quarantined', 'released'],
    );

    const head = await store.audit.head();
    await assert.rejects(
      store.atomically(async (tx) => {
        await tx.versions.recordSighting('demo', T, [rec('2.0.0')], []);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await store.versions.versionOf('demo', '2.0.0'), undefined);
    assert.deepEqual(await store.audit.head(), head);
  });
});

test('a write through the store from inside its own atomically is refused instead of waiting forever', async () => {
  await withStore(async (store) => {
    await assert.rejects(
      store.atomically(async () => {
        await store.versions.markRefreshed('demo', T);
      }),
      (err: unknown) => err instanceof StorageError && err.code === 'STORE_NESTED_WRITE',
    );
    await assert.rejects(
      store.atomically(() => store.atomically(async () => 1)),
      (err: unknown) => err instanceof StorageError && err.code === 'STORE_NESTED_WRITE',
    );
    // The lock was released: the store still writes.
    await store.versions.recordSighting('demo', T, [rec('1.0.0')], []);
    assert.equal(await store.versions.hasPackage('demo'), true);
  });
});

test('the identity follows the audit head, and a closed store rejects as unavailable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-sqlite-store-'));
  const store = openSqliteStore(dir, { busyTimeoutMs: 250 });
  await store.versions.recordSighting('demo', T, [rec('1.0.0')], []);
  await store.syncIdentity();
  assert.deepEqual(readIdentity(dir)?.auditHead, await store.audit.head());
  assert.equal(store.identity.auditHead?.id, 1);
  await store.close();
  const late = store.versions.versionsOf('demo');
  await assert.rejects(late, (err: unknown) => isStoreUnavailable(err));
  await assert.rejects(store.versions.markRefreshed('demo', T), (err: unknown) => isStoreUnavailable(err));
  // Reopening checks the identity and finds the same store.
  const again = openSqliteStore(dir, { busyTimeoutMs: 250 });
  assert.equal((await again.versions.versionsOf('demo')).length, 1);
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a rolled-back store is refused at open, and the folder is released again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-sqlite-store-'));
  const store = openSqliteStore(dir, { busyTimeoutMs: 250 });
  await store.versions.recordSighting('demo', T, [rec('1.0.0')], []);
  await store.close();
  const identity = readIdentity(dir)!;
  writeIdentity(dir, { ...identity, auditHead: { id: 7, hash: 'f'.repeat(64) } });
  assert.throws(
    () => openSqliteStore(dir, { busyTimeoutMs: 250 }),
    (err: unknown) => err instanceof DataFolderError && err.code === 'STORE_ROLLED_BACK',
  );
  assert.equal(existsSync(dataPaths(dir).pid), false);
  writeIdentity(dir, identity);
  const again = openSqliteStore(dir, { busyTimeoutMs: 250 });
  assert.equal(existsSync(dataPaths(dir).pid), true, 'the open store claims the folder');
  await again.close();
  rmSync(dir, { recursive: true, force: true });
});
