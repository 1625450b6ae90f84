import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnalysisStore, NotificationOutbox, OpsQueries, openDatabase, RefusalStore, VersionStore, type Db } from '../../storage';
import type { VersionRecord } from '../../server/policy/version-state';
import { versionRecord } from '../helpers/version-record';

const T = Date.parse('2026-11-20T12:00:00Z');
const rec = (version: string, state: VersionRecord['state'] = 'quarantined', integrity: string | null = 'sha512-AAAA'): VersionRecord =>
  versionRecord('demo', version, state, { integrity });
const events = (db: Db) => db.prepare('SELECT event, package, version, from_state, to_state, cause FROM notify_events ORDER BY id').all();

test('a state change that raises an event writes it in its own transaction; one that does not apply writes nothing', () => {
  const db = openDatabase(':memory:');
  const store = new VersionStore(db);
  store.recordSighting('demo', T, [rec('1.0.0', 'released'), rec('1.1.0'), rec('1.2.0'), rec('1.3.0')], []);
  assert.deepEqual(events(db), [], 'first sight of released and quarantined versions raises nothing');

  assert.equal(
    store.transition({
      package: 'demo',
      version: '1.1.0',
      from: 'quarantined',
      to: 'blocked',
      reason: 'withdrawn',
      cause: 'withdrawn-upstream',
      at: T,
    }),
    true,
  );
  assert.equal(
    store.transition({
      package: 'demo',
      version: '1.1.0',
      from: 'quarantined',
      to: 'blocked',
      reason: 'again',
      cause: 'withdrawn-upstream',
      at: T,
    }),
    false,
    'the guarded update no longer matches',
  );
  assert.equal(
    store.transition({
      package: 'demo',
      version: '1.3.0',
      from: 'quarantined',
      to: 'released',
      reason: 'cooldown ended',
      cause: 'cooldown-ended',
      at: T,
    }),
    true,
  );
  assert.deepEqual(
    events(db),
    [{ event: 'blocked', package: 'demo', version: '1.1.0', from_state: 'quarantined', to_state: 'blocked', cause: 'withdrawn-upstream' }],
    'one event, for the change that applied; released raises none',
  );

  // The transaction of the change fails after the transition was applied: the event goes with it.
  assert.throws(() =>
    db.transaction(() => {
      store.transition({
        package: 'demo',
        version: '1.2.0',
        from: 'quarantined',
        to: 'held',
        reason: 'x',
        cause: 'analysis-flagged',
        at: T,
      });
      throw new Error('crash before commit');
    })(),
  );
  assert.equal(store.versionOf('demo', '1.2.0')?.state, 'quarantined');
  assert.equal(events(db).length, 1, 'no event for a change that was rolled back');

  store.transition({
    package: 'demo',
    version: '1.2.0',
    from: 'quarantined',
    to: 'held',
    reason: 'held because 1.1.0 was',
    cause: 'cascade-held',
    at: T,
    event: 'cascaded',
  });
  assert.equal(
    (events(db)[1] as { event: string }).event,
    'cascaded',
    'a transition names its event when the default of its state does not fit',
  );
});

test('an event carries the facts of the version when it happened: publish time, worst finding, findings count', () => {
  const db = openDatabase(':memory:');
  const store = new VersionStore(db);
  store.recordSighting('demo', T, [rec('1.0.0')], []);
  const findings = [
    {
      category: 'install',
      rule: 'install-script/new-postinstall',
      severity: 'critical',
      message: 'runs at install time',
      file: 'package.json',
    },
    { category: 'metadata', rule: 'metadata/new-package', severity: 'low', message: 'new' },
  ];
  new AnalysisStore(db).record(
    {
      package: 'demo',
      version: '1.0.0',
      integrity: 'sha512-AAAA',
      previousVersion: null,
      findings,
      digest: 'd',
      maxSeverity: 'critical',
      analyzerVersion: '1',
      timings: {},
      finishedAt: T,
    },
    'flagged',
    {
      package: 'demo',
      version: '1.0.0',
      from: 'quarantined',
      to: 'held',
      reason: 'analysis found install-script/new-postinstall',
      cause: 'analysis-flagged',
      at: T + 5,
    },
  );
  const [event] = new NotificationOutbox(db).waitingEvents();
  assert.ok(event);
  assert.match(event.uid, /^[0-9a-f-]{36}$/);
  assert.equal(event.event, 'held');
  assert.equal(event.at, T + 5);
  assert.deepEqual(event.facts, {
    integrity: 'sha512-AAAA',
    publishedAt: T - 1000,
    maxSeverity: 'critical',
    findingsCount: 2,
    worstFinding: findings[0],
  });
});

test('a version first seen already held (no integrity) is announced; fan-out is once per endpoint; settling only moves pending deliveries', () => {
  const db = openDatabase(':memory:');
  const store = new VersionStore(db);
  store.recordSighting('demo', T, [rec('2.0.0', 'held', null)], []);
  const outbox = new NotificationOutbox(db);
  const [event] = outbox.waitingEvents();
  assert.equal(event?.event, 'held');
  assert.equal(event?.cause, 'first-sight');

  outbox.fanOut(
    event!.id,
    [
      { endpoint: 'a', body: '{"n":1}' },
      { endpoint: 'b', body: '{"n":2}' },
    ],
    T,
  );
  outbox.fanOut(event!.id, [{ endpoint: 'a', body: '{"n":"other"}' }], T);
  assert.deepEqual(outbox.waitingEvents(), [], 'fanned out once');
  assert.deepEqual(
    outbox.due(T).map((d) => [d.endpoint, d.body, d.uid]),
    [
      ['a', '{"n":1}', event!.uid],
      ['b', '{"n":2}', event!.uid],
    ],
    'a repeated fan-out neither adds nor rewrites a delivery',
  );

  assert.equal(outbox.settle({ eventId: event!.id, endpoint: 'a' }, 'pending', 1, T + 10_000, 'answered 500', T), true);
  assert.deepEqual(
    outbox.due(T).map((d) => d.endpoint),
    ['b'],
    'a delivery waiting for its retry is not due',
  );
  assert.deepEqual(
    outbox.due(T + 10_000).map((d) => d.endpoint),
    ['b', 'a'],
    'soonest first',
  );
  assert.equal(outbox.settle({ eventId: event!.id, endpoint: 'a' }, 'delivered', 2, T, null, T + 10_000), true);
  assert.equal(
    outbox.settle({ eventId: event!.id, endpoint: 'a' }, 'pending', 3, T, 'late', T + 10_000),
    false,
    'a delivered delivery is never sent again',
  );
  assert.deepEqual(outbox.counts(), { pending: 1, delivered: 1, failed: 0 });

  outbox.settle({ eventId: event!.id, endpoint: 'b' }, 'failed', 10, T, 'gone', T);
  assert.equal(outbox.prune(T + 1), 1, 'only deliveries finished before the cut are dropped');
  assert.equal(outbox.prune(T + 10_001), 2, 'then the other, and the event left without deliveries');
  assert.deepEqual(outbox.counts(), { pending: 0, delivered: 0, failed: 0 });
});

test('refusal tallies add up across batches and keep the latest client', () => {
  const db = openDatabase(':memory:');
  const refusals = new RefusalStore(db);
  refusals.add([{ package: 'demo', version: '1.0.0', count: 3, firstAt: T + 10, lastAt: T + 20, lastUserAgent: 'npm/10' }]);
  refusals.add([
    { package: 'demo', version: '1.0.0', count: 2, firstAt: T, lastAt: T + 15, lastUserAgent: 'older' },
    { package: 'demo', version: '1.1.0', count: 1, firstAt: T + 30, lastAt: T + 30, lastUserAgent: null },
    { package: 'other', version: '1.0.0', count: 1, firstAt: T, lastAt: T, lastUserAgent: 'x' },
  ]);
  assert.deepEqual(Object.fromEntries(refusals.ofPackage('demo')), {
    '1.0.0': { count: 5, firstAt: T, lastAt: T + 20, lastUserAgent: 'npm/10' },
    '1.1.0': { count: 1, firstAt: T + 30, lastAt: T + 30, lastUserAgent: null },
  });
});

test('the readiness probe writes; a lock held by another connection makes it fail within its short wait', () => {
  const { mkdtempSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'cordon-probe-')), 'cordon.sqlite');
  const db = openDatabase(file);
  const other = openDatabase(file);
  const ops = new OpsQueries(db);
  ops.probe(T);
  assert.equal((db.prepare('SELECT at FROM health_probe').get() as { at: number }).at, T);
  other.prepare('BEGIN EXCLUSIVE').run();
  const started = Date.now();
  assert.throws(() => ops.probe(T + 1, 50), /locked|busy/i);
  assert.ok(Date.now() - started < 2_000, 'did not wait for the 5 s busy timeout');
  assert.equal(db.pragma('busy_timeout', { simple: true }), 5000, 'the connection keeps its normal busy timeout');
  other.prepare('ROLLBACK').run();
  ops.probe(T + 2);
  other.close();
  db.close();
});
