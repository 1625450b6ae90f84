/** Store contract: readiness, figures, the change feed, identity, backups, and a closed store failing closed. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStoreUnavailable } from '../../../storage';
import { backends } from './backends';
import { contract, move, rec, T } from './contract';
import { test } from 'node:test';

contract('the probe reads and writes; versions are counted by state', async (store) => {
  await store.ops.probe(T);
  await store.ops.probe(T + 1);
  assert.deepEqual(await store.ops.versionsByState(), {});
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0'), rec('demo', '1.1.0'), rec('demo', '0.9.0', 'released')], []);
  assert.deepEqual(await store.ops.versionsByState(), { quarantined: 2, released: 1 });
});

contract('the change generation moves with every change of a package, and subscribers hear of committed changes only', async (store) => {
  assert.equal(store.changes.live, true);
  assert.equal(store.changes.generation('demo'), -1, 'never seen');
  const heard: string[] = [];
  const unsubscribe = store.changes.subscribe((name) => heard.push(name));

  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
  await store.versions.recordSighting('other', T, [rec('other', '1.0.0')], []);
  const g1 = store.changes.generation('demo');
  const other1 = store.changes.generation('other');
  assert.ok(g1 >= 0);
  assert.ok(heard.includes('demo') && heard.includes('other'), JSON.stringify(heard));

  heard.length = 0;
  await store.versions.transition(move('demo', '1.0.0', 'quarantined', 'released'));
  const g2 = store.changes.generation('demo');
  assert.notEqual(g2, g1, 'a transition moves it');
  assert.equal(store.changes.generation('other'), other1, 'another package keeps its generation');
  assert.deepEqual(heard, ['demo']);

  heard.length = 0;
  await assert.rejects(
    store.atomically(async (tx) => {
      await tx.versions.transition(move('demo', '1.0.0', 'released', 'blocked'));
      throw new Error('rolled back');
    }),
  );
  assert.deepEqual(heard, [], 'nothing heard of a change that was rolled back');
  assert.equal(store.changes.generation('demo'), g2, 'nor does the generation move');

  await store.atomically(async (tx) => {
    await tx.versions.transition(move('demo', '1.0.0', 'released', 'blocked'));
  });
  assert.deepEqual(heard, ['demo']);
  assert.notEqual(store.changes.generation('demo'), g2);

  unsubscribe();
  await store.versions.recordSighting('demo', T, [rec('demo', '2.0.0')], []);
  assert.deepEqual(heard, ['demo'], 'an unsubscribed listener hears no more');
});

contract('the identity records the audit head once synced', async (store) => {
  assert.equal(typeof store.identity.id, 'string');
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
  await store.syncIdentity();
  assert.deepEqual(store.identity.auditHead, await store.audit.head());
});

contract('a backup holds the store as it was, and never overwrites a file', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0'), rec('demo', '2.0.0')], []);
  const dir = mkdtempSync(join(tmpdir(), 'cordon-contract-backup-'));
  try {
    const file = join(dir, 'backup');
    const summary = await store.backup(file);
    assert.equal(existsSync(file), true);
    assert.equal(summary.versions, 2);
    assert.deepEqual(summary.head, await store.audit.head());
    assert.ok(summary.bytes > 0);
    await assert.rejects(store.backup(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const backend of backends) {
  test(`${backend.name}: a closed store answers with rejected promises that say it is unavailable, never a throw`, async (t) => {
    const why = (await backend.unavailable?.()) ?? null;
    if (why !== null) return t.skip(why);
    const { store, cleanup } = await backend.open();
    try {
      await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
      const write = store.versions.transition(move('demo', '1.0.0', 'quarantined', 'released'));
      const closing = store.close();
      // A write queued before close finishes first.
      assert.equal(await write, true);
      await closing;
      let read: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        read = store.versions.versionsOf('demo');
      });
      await assert.rejects(read!, (err: unknown) => isStoreUnavailable(err));
      await assert.rejects(
        store.audit.append({ at: T, package: 'demo', version: null, fromState: null, toState: null, cause: 'x', detail: null }),
        (err: unknown) => isStoreUnavailable(err),
      );
      await assert.rejects(
        store.atomically(async () => 1),
        (err: unknown) => isStoreUnavailable(err),
      );
    } finally {
      // Cleaned up whatever failed above (a PostgreSQL test database is dropped, never left behind).
      await store.close();
      await cleanup();
    }
  });
}
