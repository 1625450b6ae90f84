import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, VersionStore } from '../../storage';
import { QuarantineService } from '../../server/quarantine/quarantine-service';
import { observeGradually } from '../../server/quarantine/gradual-observe';
import type { Packument } from '../../server/policy/manifest';
import { distOf } from '../helpers/pack-tarball';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const UPSTREAM = 'http://127.0.0.1:9/';

function packument(name: string, count: number, young: string[] = []): Packument {
  const { integrity } = distOf(Buffer.from('bytes'));
  const versions: Record<string, object> = {};
  const time: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const v = `${1 + Math.floor(i / 100)}.${i % 100}.0`;
    versions[v] = { name, version: v, dist: { integrity, tarball: `${UPSTREAM}${name}/-/${name}-${v}.tgz` } };
    time[v] = new Date(NOW - 400 * DAY + i).toISOString();
  }
  for (const v of young) {
    versions[v] = { name, version: v, dist: { integrity, tarball: `${UPSTREAM}${name}/-/${name}-${v}.tgz` } };
    time[v] = new Date(NOW - 3_600_000).toISOString();
  }
  return { name, versions, time } as unknown as Packument;
}

function service() {
  const db = openDatabase(':memory:');
  const store = new VersionStore(db);
  const quarantine = new QuarantineService(store, { cooldownMs: 3 * DAY, rules: [], mirrorId: 'm', upstream: UPSTREAM });
  const transactions = { count: 0 };
  const record = store.recordSighting.bind(store);
  store.recordSighting = (...args) => {
    transactions.count++;
    return record(...args);
  };
  return { db, store, quarantine, transactions };
}

test('the first sight of a package with thousands of versions is written in parts, and every part treats the package as new', async () => {
  const { store, quarantine, transactions } = service();
  const doc = packument('many', 9_000, ['999.0.0']);
  let between = 0;
  const ticker = setInterval(() => between++, 0);
  const racing = new Promise<void>((resolve) => {
    // Another sighting of the same package while the first is in parts (a dependency sighting, say) decides alike.
    setImmediate(() => {
      quarantine.observe(packument('many', 50), NOW);
      resolve();
    });
  });
  const decisions = await observeGradually(quarantine, doc, NOW, 2_000);
  await racing;
  clearInterval(ticker);
  assert.ok(transactions.count >= 5, `${transactions.count} transactions`);
  assert.ok(between > 0, 'the event loop ran between the parts');
  assert.equal(store.versionsOf('many').length, 9_001);
  assert.equal(store.versionsOf('many').filter((r) => r.state === 'released').length, 9_000, 'old versions are the baseline in every part');
  assert.equal(store.versionOf('many', '999.0.0')?.state, 'quarantined');
  assert.equal(decisions.get('999.0.0')?.visible, false);
  assert.equal(decisions.get('1.0.0')?.visible, true);
});

test('a package that did not change is decided from what was kept, and any write by any connection is seen at once', () => {
  const { db, store, quarantine } = service();
  const doc = packument('kept', 500, ['9.9.9']);
  quarantine.observe(doc, NOW);
  let reads = 0;
  const versionsOf = store.versionsOf.bind(store);
  store.versionsOf = (name) => {
    reads++;
    return versionsOf(name);
  };
  for (let i = 0; i < 5; i++) quarantine.observe(doc, NOW + i);
  assert.equal(reads, 0, 'no version rows read for an unchanged package');
  // Another writer (a second process, the pipeline) changes a version: the generation moves, it is read again.
  db.prepare("UPDATE versions SET analysis = 'clean' WHERE package = 'kept' AND version = '9.9.9'").run();
  assert.equal(quarantine.observe(doc, NOW + 4 * DAY).get('9.9.9')?.visible, true);
  assert.equal(reads, 1);
});
