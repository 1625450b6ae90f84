import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPaths, openDatabase, openSqliteStore, type Store } from '../../storage';
import type { VersionPort } from '../../storage/ports';
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

const opened: Store[] = [];
after(async () => {
  for (const store of opened) await store.close();
});

/** A quarantine service over a real SQLite store, counting sighting transactions and version reads; `db` is another connection to the same file. */
function service() {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-large-'));
  const store = openSqliteStore(dir, { busyTimeoutMs: 5_000 });
  opened.push(store);
  const db = openDatabase(dataPaths(dir).store);
  const counts = { transactions: 0, reads: 0 };
  const versions = new Proxy(store.versions, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'recordSighting')
        return (...args: unknown[]) => {
          counts.transactions++;
          return fn.apply(target, args);
        };
      if (prop === 'versionsOf')
        return (...args: unknown[]) => {
          counts.reads++;
          return fn.apply(target, args);
        };
      return fn.bind(target);
    },
  }) as VersionPort;
  const quarantine = new QuarantineService(
    { versions, changes: store.changes },
    { cooldownMs: 3 * DAY, rules: [], mirrorId: 'm', upstream: UPSTREAM },
  );
  return { db, store, quarantine, counts };
}

test('the first sight of a package with thousands of versions is written in parts, and every part treats the package as new', async () => {
  const { store, quarantine, counts } = service();
  const doc = packument('many', 9_000, ['999.0.0']);
  let between = 0;
  const ticker = setInterval(() => between++, 0);
  const racing = new Promise<void>((resolve) => {
    // Another sighting of the same package while the first is in parts (a dependency sighting, say) decides alike.
    setImmediate(() => {
      void quarantine.observe(packument('many', 50), NOW).then(() => resolve());
    });
  });
  const decisions = await observeGradually(quarantine, doc, NOW, 2_000);
  await racing;
  clearInterval(ticker);
  assert.ok(counts.transactions >= 5, `${counts.transactions} transactions`);
  assert.ok(between > 0, 'the event loop ran between the parts');
  const many = await store.versions.versionsOf('many');
  assert.equal(many.length, 9_001);
  assert.equal(many.filter((r) => r.state === 'released').length, 9_000, 'old versions are the baseline in every part');
  assert.equal((await store.versions.versionOf('many', '999.0.0'))?.state, 'quarantined');
  assert.equal(decisions.get('999.0.0')?.visible, false);
  assert.equal(decisions.get('1.0.0')?.visible, true);
});

test('a package that did not change is decided from what was kept, and any write by any connection is seen at once', async () => {
  const { db, quarantine, counts } = service();
  const doc = packument('kept', 500, ['9.9.9']);
  await quarantine.observe(doc, NOW);
  counts.reads = 0;
  for (let i = 0; i < 5; i++) await quarantine.observe(doc, NOW + i);
  assert.equal(counts.reads, 0, 'no version rows read for an unchanged package');
  // Another writer (a second process, the pipeline) changes a version: the generation moves, it is read again.
  db.prepare("UPDATE versions SET analysis = 'clean' WHERE package = 'kept' AND version = '9.9.9'").run();
  assert.equal((await quarantine.observe(doc, NOW + 4 * DAY)).get('9.9.9')?.visible, true);
  assert.equal(counts.reads, 1);
});
