/** Store contract: refusal tallies, and absences upstream confirmed before anything is called withdrawn. */
import assert from 'node:assert/strict';
import { contract, move, rec, T } from './contract';

contract('refusals add up per version: counts sum, first and last times widen, the latest client wins', async (store) => {
  await store.refusals.add([]);
  await store.refusals.add([
    { package: 'demo', version: '1.0.0', count: 2, firstAt: T + 10, lastAt: T + 20, lastUserAgent: 'npm/10' },
    { package: 'demo', version: '2.0.0', count: 1, firstAt: T, lastAt: T, lastUserAgent: null },
    { package: 'other', version: '1.0.0', count: 9, firstAt: T, lastAt: T, lastUserAgent: 'yarn' },
  ]);
  await store.refusals.add([{ package: 'demo', version: '1.0.0', count: 3, firstAt: T + 5, lastAt: T + 15, lastUserAgent: 'pnpm/9' }]);
  await store.refusals.add([{ package: 'demo', version: '1.0.0', count: 1, firstAt: T + 30, lastAt: T + 30, lastUserAgent: 'npm/11' }]);
  const tallies = await store.refusals.ofPackage('demo');
  assert.deepEqual([...tallies.entries()].sort(), [
    ['1.0.0', { count: 6, firstAt: T + 5, lastAt: T + 30, lastUserAgent: 'npm/11' }],
    ['2.0.0', { count: 1, firstAt: T, lastAt: T, lastUserAgent: null }],
  ]);
  assert.equal((await store.refusals.ofPackage('nobody')).size, 0);
});

contract(
  'an absence counts a new miss only after the gap, clears by a person, and is forgotten when upstream shows the version again',
  async (store) => {
    const first = await store.withdrawals.missing('demo', '1.0.0', T, 'packument without it', 60_000);
    assert.deepEqual(first, {
      package: 'demo',
      version: '1.0.0',
      firstMissingAt: T,
      lastMissingAt: T,
      misses: 1,
      lastSource: 'packument without it',
      clearedAt: null,
      clearedBy: null,
    });
    assert.equal((await store.withdrawals.missing('demo', '1.0.0', T + 30_000, 'again', 60_000)).misses, 1, 'within the gap');
    const second = await store.withdrawals.missing('demo', '1.0.0', T + 60_000, 'tarball 404', 60_000);
    assert.deepEqual([second.misses, second.lastMissingAt, second.lastSource, second.firstMissingAt], [2, T + 60_000, 'tarball 404', T]);
    await store.withdrawals.missing('demo', '2.0.0', T, 'packument without it', 60_000);
    assert.equal(await store.withdrawals.hasPending('demo'), true);
    assert.equal(await store.withdrawals.hasPending('other'), false);

    await store.withdrawals.clear('demo', '1.0.0', T + 100, 'alice');
    assert.deepEqual(await store.withdrawals.of('demo', '1.0.0').then((a) => [a?.clearedAt, a?.clearedBy]), [T + 100, 'alice']);
    assert.equal(
      (await store.withdrawals.missing('demo', '1.0.0', T + 500_000, 'x', 60_000)).misses,
      2,
      'a cleared absence counts no more',
    );
    await store.withdrawals.shown('demo', (v) => v === '2.0.0');
    assert.equal(await store.withdrawals.of('demo', '2.0.0'), undefined);
    assert.equal(await store.withdrawals.hasPending('demo'), false);

    await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
    assert.equal(await store.withdrawals.lastTransitionCause('demo', '1.0.0'), 'first-sight');
    await store.versions.transition(move('demo', '1.0.0', 'quarantined', 'blocked', T + 1, 'withdrawn-upstream'));
    await store.audit.append({
      at: T + 2,
      package: 'demo',
      version: '1.0.0',
      fromState: null,
      toState: null,
      cause: 'not-a-transition',
      detail: null,
    });
    assert.equal(await store.withdrawals.lastTransitionCause('demo', '1.0.0'), 'withdrawn-upstream');
    assert.equal(await store.withdrawals.lastTransitionCause('demo', '9.9.9'), null);
  },
);
