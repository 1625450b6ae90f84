import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configWith, fixture, postinstall, T0 } from './service-fixture';
import { testApprover } from './keys';
import { enrichedQueue } from '../../server/http/review-data';

test('the waiting queue comes in pages with a cursor and a total, in the same order as one long list', async () => {
  const alice = testApprover('alice');
  const f = await fixture(configWith([alice.approver]));
  for (let p = 0; p < 7; p++) for (let v = 1; v <= 4; v++) await f.seed(`pkg-${p}`, `1.0.${v}`, v % 2 ? [postinstall] : []);
  const runtime = { approvals: f.service, store: f.store, clock: f.clock };
  const all = (await enrichedQueue(runtime, { state: '', package: '' })).map((e) => `${e.status.package}@${e.status.version}`);
  assert.equal(all.length, 28);
  const seen: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 10; i++) {
    const page = await f.service.queuePage({ limit: 5, after });
    assert.equal(page.total, 28);
    seen.push(...page.versions.map((s) => `${s.package}@${s.version}`));
    if (!page.next) break;
    after = page.next;
  }
  assert.deepEqual(seen, all);
  const held = await f.service.queuePage({ limit: 100, state: 'held' });
  assert.equal(held.total, 14);
  assert.ok(held.versions.every((s) => s.state === 'held'));
  assert.equal((await f.service.queuePage({ limit: 100, package: 'pkg-3' })).total, 4);
  assert.ok(T0 > 0);
});
