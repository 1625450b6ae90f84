/** Store contract: units of work across ports commit together, roll back together, and serialise. */
import assert from 'node:assert/strict';
import { contract, move, rec, T } from './contract';

contract('atomically sees its own writes, hides them from others until it commits, and returns what fn returns', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
  const seen: Record<string, unknown> = {};
  const result = await store.atomically(async (tx) => {
    await tx.versions.transition(move('demo', '1.0.0', 'quarantined', 'released'));
    await tx.refusals.add([{ package: 'demo', version: '1.0.0', count: 3, firstAt: T, lastAt: T + 1, lastUserAgent: 'npm/11' }]);
    seen.inside = (await tx.versions.versionOf('demo', '1.0.0'))?.state;
    seen.insideRefusals = (await tx.refusals.ofPackage('demo')).get('1.0.0')?.count;
    seen.outside = (await store.versions.versionOf('demo', '1.0.0'))?.state;
    seen.outsideRefusals = (await store.refusals.ofPackage('demo')).size;
    return 'done';
  });
  assert.equal(result, 'done');
  assert.deepEqual(seen, { inside: 'released', insideRefusals: 3, outside: 'quarantined', outsideRefusals: 0 });
  assert.equal((await store.versions.versionOf('demo', '1.0.0'))?.state, 'released');
  assert.equal((await store.refusals.ofPackage('demo')).get('1.0.0')?.count, 3);
});

contract('atomically rolls back every port it wrote through when fn throws', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
  const head = await store.audit.head();
  const jobsBefore = await store.jobs.counts();
  const failure = new Error('the check after the writes failed');
  await assert.rejects(
    store.atomically(async (tx) => {
      await tx.versions.recordSighting(
        'demo',
        T + 1,
        [rec('demo', '2.0.0')],
        [move('demo', '1.0.0', 'quarantined', 'held')],
        [
          {
            id: 'j2',
            package: 'demo',
            version: '2.0.0',
            integrity: 'sha512-demo-2.0.0',
            previousVersion: '1.0.0',
            previousIntegrity: 'sha512-demo-1.0.0',
          },
        ],
      );
      await tx.audit.append({ at: T + 1, package: 'demo', version: null, fromState: null, toState: null, cause: 'contract', detail: null });
      await tx.withdrawals.missing('demo', '1.0.0', T + 1, 'packument', 0);
      await tx.notifications.enqueue({
        package: 'demo',
        version: '1.0.0',
        from: 'quarantined',
        to: 'held',
        reason: 'x',
        cause: 'x',
        at: T + 1,
        event: 'held',
      });
      await tx.approvals.mirrorId(() => 'rolled-back-id');
      throw failure;
    }),
    (err: unknown) => err === failure,
  );
  assert.equal(await store.versions.versionOf('demo', '2.0.0'), undefined);
  assert.equal((await store.versions.versionOf('demo', '1.0.0'))?.state, 'quarantined');
  assert.equal(await store.jobs.get('j2'), undefined);
  assert.deepEqual(await store.jobs.counts(), jobsBefore);
  assert.deepEqual(await store.audit.head(), head);
  assert.equal(await store.withdrawals.of('demo', '1.0.0'), undefined);
  assert.deepEqual(await store.notifications.waitingEvents(), []);
  assert.equal(await store.approvals.mirrorId(() => 'kept-id'), 'kept-id');
  // The store goes on writing after a rollback.
  assert.equal(await store.versions.transition(move('demo', '1.0.0', 'quarantined', 'released')), true);
});

contract('transactions that read then write serialise: what one read cannot change before it writes', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
  // Each reads the state and, seeing quarantined, appends a decision-like entry and moves it: only the first may.
  const outcomes = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      store.atomically(async (tx) => {
        const v = await tx.versions.versionOf('demo', '1.0.0');
        if (v?.state !== 'quarantined') return false;
        await new Promise((r) => setImmediate(r));
        await tx.audit.append({
          at: T + i,
          package: 'demo',
          version: '1.0.0',
          fromState: null,
          toState: null,
          cause: 'contract-check',
          detail: { i },
        });
        return tx.versions.transition(move('demo', '1.0.0', 'quarantined', 'released', T + i));
      }),
    ),
  );
  assert.equal(outcomes.filter(Boolean).length, 1, JSON.stringify(outcomes));
  assert.equal(
    (await store.audit.ofPackage('demo')).filter((e) => e.cause === 'contract-check').length,
    1,
    'no transaction acted on a state another had already changed',
  );
});

contract('the ports of a transaction refuse use after it ended', async (store) => {
  let leaked: Parameters<Parameters<typeof store.atomically>[0]>[0] | undefined;
  await store.atomically(async (tx) => {
    leaked = tx;
  });
  await assert.rejects(leaked!.versions.versionsOf('demo'));
  await assert.rejects(leaked!.versions.markRefreshed('demo', T));
});

contract('a write made elsewhere while a transaction is open is not part of it: it survives the rollback', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0'), rec('demo', '2.0.0')], []);
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const tx = store.atomically(async (t) => {
    await t.versions.transition(move('demo', '1.0.0', 'quarantined', 'held'));
    entered();
    await gate;
    throw new Error('rolled back');
  });
  await inside;
  // Not awaited before the transaction ends: it waits for it (SQLite) or runs beside it (PostgreSQL).
  const elsewhere = store.versions.transition(move('demo', '2.0.0', 'quarantined', 'released'));
  await new Promise((r) => setTimeout(r, 20));
  release();
  await assert.rejects(tx, /rolled back/);
  assert.equal(await elsewhere, true);
  assert.equal((await store.versions.versionOf('demo', '1.0.0'))?.state, 'quarantined');
  assert.equal((await store.versions.versionOf('demo', '2.0.0'))?.state, 'released');
});

contract('a port call that fails inside a transaction keeps nothing of itself, and the transaction goes on', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0'), rec('demo', '2.0.0')], []);
  const outcome = await store.atomically(async (tx) => {
    await tx.versions.transition(move('demo', '1.0.0', 'quarantined', 'released'));
    // Refused by the store (no signed decision): this call is undone, the transaction is not.
    const refused = await tx.versions
      .recordSighting('demo', T + 1, [rec('demo', '3.0.0')], [move('demo', '2.0.0', 'quarantined', 'approved')])
      .then(
        () => false,
        () => true,
      );
    await tx.versions.transition(move('demo', '2.0.0', 'quarantined', 'held'));
    return refused;
  });
  assert.equal(outcome, true);
  assert.deepEqual((await store.versions.versionsOf('demo')).map((v) => [v.version, v.state]).sort(), [
    ['1.0.0', 'released'],
    ['2.0.0', 'held'],
  ]);
  assert.deepEqual(
    (await store.audit.ofPackage('demo')).slice(2).map((e) => [e.version, e.toState]),
    [
      ['1.0.0', 'released'],
      ['2.0.0', 'held'],
    ],
  );
});
