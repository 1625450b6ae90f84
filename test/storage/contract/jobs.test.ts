/** Store contract: the analysis job outbox — claim, finish, retry, postpone, requeue, recover, counts. */
import assert from 'node:assert/strict';
import type { JobSpec, Store } from '../../../storage';
import { contract, rec, T } from './contract';

const spec = (pkg: string, version: string): JobSpec => ({
  id: `${pkg}@${version}`,
  package: pkg,
  version,
  integrity: `sha512-${pkg}-${version}`,
  previousVersion: null,
  previousIntegrity: null,
});

async function queue(store: Store, pkg: string, versions: string[], at = T): Promise<void> {
  await store.versions.recordSighting(
    pkg,
    at,
    versions.map((v) => rec(pkg, v)),
    [],
    versions.map((v) => spec(pkg, v)),
  );
}

contract('claims are fair across packages, in version order, within the per-package limit, and never twice', async (store) => {
  await queue(store, 'a', ['1.10.0', '1.2.0', '1.9.0'], T);
  await queue(store, 'b', ['2.0.0'], T + 1);
  assert.deepEqual(await store.jobs.counts(), { waiting: 4, active: 0, done: 0, failed: 0 });
  assert.equal(await store.jobs.nextRunAfter(), T);
  assert.deepEqual(await store.jobs.claim(T - 1, 1000, 10), [], 'nothing is ready before its time');

  const first = await store.jobs.claim(T + 5, 1000, 10, 1);
  assert.deepEqual(
    first.map((j) => j.id),
    ['a@1.2.0', 'b@2.0.0'],
    'one per package, the lowest version first, the longest-waiting package first',
  );
  assert.deepEqual(
    first.map((j) => [j.status, j.attempts, j.lockedUntil]),
    [
      ['active', 1, T + 1005],
      ['active', 1, T + 1005],
    ],
  );
  assert.deepEqual((await store.jobs.active()).map((j) => j.id).sort(), ['a@1.2.0', 'b@2.0.0']);
  assert.deepEqual(await store.jobs.claim(T + 5, 1000, 10, 1), [], 'a has one active already');

  // Claims at once never hand out the same job twice.
  const racing = await Promise.all([
    store.jobs.claim(T + 5, 1000, 10),
    store.jobs.claim(T + 5, 1000, 10),
    store.jobs.claim(T + 5, 1000, 10),
  ]);
  const ids = racing.flat().map((j) => j.id);
  assert.deepEqual(ids.sort(), ['a@1.10.0', 'a@1.9.0']);
  assert.equal((await store.jobs.latestFor('a', '1.9.0'))?.status, 'active');
  assert.equal(await store.jobs.nextRunAfter(), null, 'nothing waits');
});

contract(
  'a job finishes, retries with its first failure kept, is postponed without counting, requeued afresh, and recovered after a crash',
  async (store) => {
    await queue(store, 'a', ['1.0.0', '2.0.0', '3.0.0']);
    await store.jobs.claim(T, 1000, 10);

    await store.jobs.finish('a@1.0.0', 'done', null, T + 10);
    assert.deepEqual(await store.jobs.get('a@1.0.0').then((j) => [j?.status, j?.lockedUntil, j?.lastError]), ['done', null, null]);

    await store.jobs.retry('a@2.0.0', T + 500, 'upstream 503', T + 20);
    await store.jobs.claim(T + 500, 1000, 10);
    await store.jobs.retry('a@2.0.0', T + 900, 'upstream 503 again', T + 600);
    const retried = await store.jobs.get('a@2.0.0');
    assert.deepEqual(
      [retried?.status, retried?.attempts, retried?.runAfter, retried?.lastError, retried?.failingSince],
      ['waiting', 2, T + 900, 'upstream 503 again', T + 20],
    );

    await store.jobs.claim(T + 900, 1000, 10);
    await store.jobs.postpone('a@2.0.0', T + 2000, 'queue unreachable', T + 950);
    assert.deepEqual(
      await store.jobs.get('a@2.0.0').then((j) => [j?.status, j?.attempts, j?.runAfter]),
      ['waiting', 2, T + 2000],
      'the attempt that never started is not counted',
    );

    await store.jobs.finish('a@2.0.0', 'failed', 'gave up', T + 3000);
    await store.jobs.requeue('a@2.0.0', T + 4000, 'cleared by a person');
    assert.deepEqual(await store.jobs.get('a@2.0.0').then((j) => [j?.status, j?.attempts, j?.failingSince, j?.runAfter, j?.lastError]), [
      'waiting',
      0,
      null,
      T + 4000,
      'cleared by a person',
    ]);

    // a@3.0.0 is still active, locked until T + 1000: a crashed process's job comes back once its lock expires.
    assert.equal(await store.jobs.recover(T + 999), 0);
    assert.equal(await store.jobs.recover(T + 1001), 1);
    assert.equal((await store.jobs.get('a@3.0.0'))?.status, 'waiting');
    assert.equal((await store.jobs.claim(T + 4000, 60_000, 10)).length, 2);
    assert.equal(await store.jobs.recover(T + 4001), 0, 'locks still held');
    assert.equal(await store.jobs.recover(T + 4001, true), 2, 'all: every active job, locked or not');
    assert.deepEqual(await store.jobs.counts(), { waiting: 2, active: 0, done: 1, failed: 0 });
    assert.equal(await store.jobs.get('nope'), undefined);
  },
);
