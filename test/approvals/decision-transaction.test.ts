/**
 * A signed decision reads and writes only through its transaction: the version, the decisions so far,
 * the nonce, the withdrawal lookup, the acceptance, the cascade holds, the withdrawal clear and the
 * requeue all go through `tx`. Here the store's own ports throw while a decision runs, so any
 * collaborator built over the store instead of `tx` fails the decision (and the test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApprovalService } from '../../server/approvals/approval-service';
import { WITHDRAWN_CAUSE } from '../../server/quarantine/withdrawal-watch';
import type { Store, StorePorts } from '../../storage/ports';
import { configWith, fixture, HOUR, postinstall, T0, type Fixture } from './service-fixture';
import { testApprover } from './keys';
import { versionRecord } from '../helpers/version-record';

const alice = testApprover('alice');
const config = configWith([alice.approver], { quorum: { critical: 1, low: 1 }, mirrorId: 'test-mirror', cascade: { window: '48h' } });

/** `store`, whose ports refuse every call while one of its transactions runs (the transaction's own `tx` works). */
function strict(store: Store): { store: Store; calls: string[] } {
  let inside = 0;
  const calls: string[] = [];
  const guard = <T extends object>(port: T, name: string): T =>
    new Proxy(port, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (inside > 0) {
            calls.push(`${name}.${String(prop)}`);
            throw new Error(`${name}.${String(prop)} was called on the store itself inside a decision's transaction`);
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const ports = [
    'versions',
    'analyses',
    'jobs',
    'approvals',
    'audit',
    'passkeys',
    'notifications',
    'refusals',
    'withdrawals',
    'ops',
  ] as const;
  const wrapped = Object.fromEntries(ports.map((p) => [p, guard(store[p], p)])) as unknown as StorePorts;
  return {
    calls,
    store: {
      ...wrapped,
      backend: store.backend,
      changes: store.changes,
      identity: store.identity,
      syncIdentity: () => store.syncIdentity(),
      backup: (file) => store.backup(file),
      close: () => store.close(),
      async atomically(fn) {
        inside++;
        try {
          return await store.atomically(fn);
        } finally {
          inside--;
        }
      },
    },
  };
}

function service(f: Fixture, store: Store): ApprovalService {
  return new ApprovalService({
    config,
    mirrorId: 'test-mirror',
    clock: f.clock,
    store,
    quarantine: f.quarantine,
    cascade: config.cascade,
    withdrawals: { confirmations: config.withdrawConfirmations, windowMs: config.withdrawWindowMs },
  });
}

async function decide(s: ApprovalService, name: string, version: string, decision: 'approve' | 'reject') {
  const { text } = await s.statementFor(
    name,
    version,
    decision,
    decision === 'reject' ? 'steals tokens' : 'reviewed',
    alice.approver.publicKey,
  );
  return s.submit(name, version, text, alice.sign(text));
}

test('a rejection and its cascade hold go through the transaction only', async () => {
  const f = await fixture(config);
  const published = T0 - 2 * HOUR;
  await f.seed('worm-a', '1.0.1', [postinstall], { publisher: 'mallory', publishedAt: published });
  await f.seed('worm-b', '2.0.1', [], { publisher: 'mallory', publishedAt: published + HOUR });
  const { store, calls } = strict(f.store);
  const outcome = await decide(service(f, store), 'worm-a', '1.0.1', 'reject');
  assert.deepEqual(calls, []);
  assert.equal(outcome.transition?.to, 'rejected');
  assert.equal((await f.store.versions.versionOf('worm-b', '2.0.1'))?.state, 'held', 'the sibling is held by the cascade');
  const hold = (await f.store.audit.ofPackage('worm-b')).find((e) => e.cause === 'cascade-held');
  assert.equal((hold?.detail?.causedBy as { auditId: number } | undefined)?.auditId, outcome.decision.auditId);
});

test('clearing a withdrawal block (clear and requeue) goes through the transaction only', async () => {
  const f = await fixture(config);
  const seen = T0 - HOUR;
  const integrity = `sha512-${Buffer.from('gone@1.0.1').toString('base64')}`;
  await f.store.versions.recordSighting(
    'gone',
    seen,
    [versionRecord('gone', '1.0.1', 'quarantined', { publishedAt: seen, firstSeenAt: seen, integrity, updatedAt: seen })],
    [],
    [{ id: 'job-gone', package: 'gone', version: '1.0.1', integrity, previousVersion: null, previousIntegrity: null }],
  );
  const [job] = await f.store.jobs.claim(seen, 60_000, 1);
  await f.store.jobs.finish(job!.id, 'failed', 'VERSION_WITHDRAWN: upstream no longer lists gone@1.0.1', seen);
  for (let i = 0; i < config.withdrawConfirmations; i++)
    await f.store.withdrawals.missing(
      'gone',
      '1.0.1',
      seen + (i * config.withdrawWindowMs) / Math.max(1, config.withdrawConfirmations - 1),
      'test',
      0,
    );
  await f.store.versions.transition({
    package: 'gone',
    version: '1.0.1',
    from: 'quarantined',
    to: 'blocked',
    reason: 'withdrawn upstream',
    cause: WITHDRAWN_CAUSE,
    at: T0,
  });
  const { store, calls } = strict(f.store);
  const outcome = await decide(service(f, store), 'gone', '1.0.1', 'approve');
  assert.deepEqual(calls, []);
  assert.equal(outcome.transition?.cause, 'withdrawal-cleared');
  assert.equal((await f.store.versions.versionOf('gone', '1.0.1'))?.state, 'quarantined');
  assert.notEqual((await f.store.withdrawals.of('gone', '1.0.1'))?.clearedAt ?? null, null, 'the absence is cleared');
  assert.equal((await f.store.jobs.get('job-gone'))?.status, 'waiting', 'the analysis the block stopped runs again');
});

test('the strict store itself refuses a call on the store during a decision (the test can fail)', async () => {
  const f = await fixture(config);
  const { store, calls } = strict(f.store);
  await assert.rejects(
    store.atomically(async () => store.versions.versionOf('x', '1.0.0')),
    /inside a decision's transaction/,
  );
  assert.deepEqual(calls, ['versions.versionOf']);
});
