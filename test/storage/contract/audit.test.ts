/** Store contract: the hash-chained audit log never forks, however many append at once. */
import assert from 'node:assert/strict';
import { verifyAudit } from '../../../server/approvals/audit-verify';
import { GENESIS_HASH, auditEntryHash } from '../../../storage';
import { allAudit, contract, move, rec, T } from './contract';

const entry = (i: number) => ({
  at: T + i,
  package: `pkg-${i % 5}`,
  version: `1.0.${i}`,
  fromState: null,
  toState: null,
  cause: 'contract-append',
  detail: { i, note: 'ü ✓' },
});

contract('50 appends at once, mixed with transitions and transactions, make one unbroken chain', async (store) => {
  await store.versions.recordSighting(
    'demo',
    T,
    Array.from({ length: 10 }, (_, i) => rec('demo', `2.0.${i}`)),
    [],
  );
  const appends = Array.from({ length: 50 }, (_, i) => store.audit.append(entry(i)));
  const moves = Array.from({ length: 10 }, (_, i) =>
    i % 2
      ? store.versions.transition(move('demo', `2.0.${i}`, 'quarantined', 'released'))
      : store.atomically(async (tx) => {
          await tx.audit.append(entry(100 + i));
          return tx.versions.transition(move('demo', `2.0.${i}`, 'quarantined', 'held'));
        }),
  );
  const appended = await Promise.all(appends);
  assert.deepEqual(await Promise.all(moves), Array(10).fill(true));

  assert.equal(new Set(appended.map((e) => e.id)).size, 50, 'every append got its own id');
  for (const e of appended) assert.equal(e.hash, auditEntryHash(e), `entry ${e.id} carries the hash of what it holds`);
  const all = await allAudit(store);
  assert.equal(all.length, 10 + 50 + 5 + 10, 'first sights, appends, appends in transactions, transitions');
  assert.deepEqual(
    all.map((e) => e.id),
    all.map((_, i) => i + 1),
    'ids without gaps',
  );
  for (const [i, e] of all.entries())
    assert.equal(e.prevHash, i === 0 ? GENESIS_HASH : all[i - 1]!.hash, `entry ${e.id} chains to the one before`);
  assert.equal(new Set(all.map((e) => e.prevHash)).size, all.length, 'no two entries share a predecessor: no fork');
  const sequence = await store.audit.sequence();
  assert.ok(sequence === null || sequence === all.length, `sequence ${sequence}`);
  const report = verifyAudit(all, { sequence, head: { id: all[all.length - 1]!.id, hash: all[all.length - 1]!.hash } });
  assert.deepEqual(report.problems, []);
  assert.equal(report.entries, all.length);
  assert.deepEqual(await store.audit.head(), { id: all.length, hash: all[all.length - 1]!.hash });
  // What was appended reads back the same.
  const byId = new Map(all.map((e) => [e.id, e]));
  for (const e of appended) assert.deepEqual(byId.get(e.id), e);
});

contract('the log reads by package, forwards and backwards', async (store) => {
  assert.equal(await store.audit.head(), null);
  for (let i = 0; i < 12; i++) await store.audit.append(entry(i));
  assert.deepEqual(
    (await store.audit.ofPackage('pkg-1')).map((e) => e.detail?.i),
    [1, 6, 11],
  );
  assert.deepEqual(
    (await store.audit.ofPackage('pkg-1', 2, 1)).map((e) => e.detail?.i),
    [6],
    'after id 2, at most one',
  );
  assert.deepEqual(
    (await store.audit.page(3, 4)).map((e) => e.id),
    [4, 5, 6, 7],
  );
  assert.deepEqual(
    (await store.audit.pageBefore(5, 3)).map((e) => e.id),
    [4, 3, 2],
    'newest first',
  );
  const [first] = await store.audit.page(0, 1);
  assert.deepEqual(first, { ...entry(0), id: 1, prevHash: GENESIS_HASH, hash: first!.hash });
  const sequence = await store.audit.sequence();
  assert.ok(sequence === null || sequence === 12, `sequence ${sequence}`);
});
