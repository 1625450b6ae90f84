/** Store contract: the notification outbox — events with state changes, fan-out, deliveries, pruning. */
import assert from 'node:assert/strict';
import { contract, move, rec, T } from './contract';

contract('a state change raises its event once; the event fans out to deliveries that settle and are pruned', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0'), rec('demo', '2.0.0')], []);
  assert.deepEqual(await store.notifications.waitingEvents(), []);
  await store.versions.transition(move('demo', '1.0.0', 'quarantined', 'held', T + 1, 'analysis-flagged'));
  await store.versions.transition(move('demo', '1.0.0', 'quarantined', 'held', T + 1, 'analysis-flagged'));
  await store.notifications.enqueue({
    package: 'demo',
    version: '2.0.0',
    from: 'quarantined',
    to: 'blocked',
    reason: 'withdrawn',
    cause: 'withdrawn-upstream',
    at: T + 2,
    event: 'blocked',
  });
  const events = await store.notifications.waitingEvents();
  assert.deepEqual(
    events.map((e) => [e.event, e.version, e.fromState, e.toState, e.cause]),
    [
      ['held', '1.0.0', 'quarantined', 'held', 'analysis-flagged'],
      ['blocked', '2.0.0', 'quarantined', 'blocked', 'withdrawn-upstream'],
    ],
  );
  assert.equal(events[0]!.facts.integrity, 'sha512-demo-1.0.0');
  assert.notEqual(events[0]!.uid, events[1]!.uid);
  assert.deepEqual((await store.notifications.waitingEvents(1)).length, 1);

  const [held] = events;
  await store.notifications.fanOut(
    held!.id,
    [
      { endpoint: 'https://a.example/hook', body: '{"a":1}' },
      { endpoint: 'https://b.example/hook', body: '{"b":1}' },
    ],
    T + 3,
  );
  await store.notifications.fanOut(held!.id, [{ endpoint: 'https://a.example/hook', body: '{"changed":1}' }], T + 4);
  assert.deepEqual(
    (await store.notifications.waitingEvents()).map((e) => e.event),
    ['blocked'],
    'fanned out once',
  );
  const due = await store.notifications.due(T + 3);
  assert.deepEqual(
    due.map((d) => [d.endpoint, d.body, d.status, d.attempts, d.uid, d.event]),
    [
      ['https://a.example/hook', '{"a":1}', 'pending', 0, held!.uid, 'held'],
      ['https://b.example/hook', '{"b":1}', 'pending', 0, held!.uid, 'held'],
    ],
  );
  assert.equal(await store.notifications.settle(due[0]!, 'delivered', 1, T + 5, null, T + 5), true);
  assert.equal(await store.notifications.settle(due[0]!, 'failed', 2, T + 6, 'late', T + 6), false, 'only a pending delivery changes');
  assert.equal(await store.notifications.settle(due[1]!, 'pending', 1, T + 60, 'HTTP 502', T + 5), true);
  assert.deepEqual(
    (await store.notifications.due(T + 10)).map((d) => d.endpoint),
    [],
    'the retry is not due yet',
  );
  assert.deepEqual(
    await store.notifications.get(held!.id, 'https://b.example/hook').then((d) => [d?.status, d?.attempts, d?.nextAt, d?.lastError]),
    ['pending', 1, T + 60, 'HTTP 502'],
  );
  assert.deepEqual(await store.notifications.counts(), { pending: 1, delivered: 1, failed: 0 });

  await store.notifications.settle(due[1]!, 'failed', 2, T + 60, 'HTTP 502', T + 61);
  assert.equal(await store.notifications.prune(T + 6), 1, 'the delivery finished before then');
  assert.equal(await store.notifications.prune(T + 1_000_000), 2, 'the other delivery, then its event');
  assert.deepEqual(await store.notifications.counts(), { pending: 0, delivered: 0, failed: 0 });
  assert.equal(await store.notifications.get(held!.id, 'https://a.example/hook'), undefined);
});
