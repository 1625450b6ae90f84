import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataFolderError,
  isStoreUnavailable,
  openStore,
  readIdentity,
  StorageError,
  writeIdentity,
  type AuditEntry,
  type Store,
} from '../../../storage';
import { openPostgresStore, inspectPostgresBackup } from '../../../storage/postgres';
import { verifyAudit } from '../../../server/approvals/audit-verify';
import type { VersionRecord } from '../../../server/policy/version-state';
import { causesOf } from '../../../server/policy/state-machine';
import type { Transition } from '../../../storage/transitions';
import type { NewDecision } from '../../../storage/approval-store';
import { createTestDatabase, CuttableProxy, withClient, type TestDatabase } from '../../helpers/postgres';
import { versionRecord } from '../../helpers/version-record';

const T = Date.parse('2026-11-20T12:00:00Z');
const rec = (pkg: string, version: string, state: VersionRecord['state'] = 'quarantined'): VersionRecord =>
  versionRecord(pkg, version, state, { integrity: 'sha512-AAAA', findingsDigest: 'digest-1' });
/** A change of state with a cause the state machine allows for it (storage refuses any other). */
const move = (pkg: string, version: string, from: VersionRecord['state'], to: VersionRecord['state'], at = T + 1): Transition => ({
  package: pkg,
  version,
  from,
  to,
  reason: `${from} to ${to}`,
  cause: causesOf(from, to)[0]!,
  at,
});
const decision = (pkg: string, version: string, nonce: string): NewDecision => ({
  package: pkg,
  version,
  integrity: 'sha512-AAAA',
  findingsDigest: 'digest-1',
  decision: 'approve',
  approver: 'alice',
  publicKey: 'AAAAC3NzaC1lZDI1NTE5',
  statement: `approve ${pkg}@${version}`,
  signature: 'sig',
  nonce,
  issuedAt: T,
  acceptedAt: T + 2,
  auditDetail: {},
});

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-pg-'));
  dirs.push(dir);
  return dir;
};
const open = (url: string, dataDir = tempDir(), extra: Record<string, number> = {}) =>
  openPostgresStore({ databaseUrl: url, dataDir, storeBusyTimeoutMs: 250, ...extra });

async function allEntries(store: Store): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (let page = await store.audit.page(0, 500); page.length; page = await store.audit.page(page[page.length - 1]!.id, 500))
    out.push(...page);
  return out;
}

/** Resolves with the package name once `store`'s feed reports a change, or rejects after `ms`. */
function nextChange(store: Store, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no change reported within ${ms} ms`));
    }, ms);
    const off = store.changes.subscribe((name) => {
      clearTimeout(timer);
      off();
      resolve(name);
    });
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('PostgreSQL store', () => {
  let db: TestDatabase;
  const stores: Store[] = [];
  const track = async (p: Promise<Store>): Promise<Store> => {
    const s = await p;
    stores.push(s);
    return s;
  };

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('two mirrors starting together on an empty database apply each migration once and share one store id', async () => {
    const [a, b] = await Promise.all([track(open(db.url)), track(open(db.url))]);
    const applied = await withClient(db.url, async (c) =>
      (await c.query('SELECT id FROM schema_migrations ORDER BY id')).rows.map((r: { id: number }) => r.id),
    );
    assert.deepEqual(applied, [1]);
    assert.equal(a.backend, 'postgres');
    assert.equal(a.identity.id, b.identity.id);
  });

  test('openStore chooses PostgreSQL for a postgres:// CORDON_DATABASE_URL', async () => {
    const store = await track(openStore({ dataDir: tempDir(), storeBusyTimeoutMs: 250, databaseUrl: db.url }));
    assert.equal(store.backend, 'postgres');
  });

  test('the audit log refuses UPDATE, DELETE, TRUNCATE and an insert that does not chain to the head', async () => {
    const store = await track(open(db.url));
    const first = await store.audit.append({
      at: T,
      package: 'audit-demo',
      version: null,
      fromState: null,
      toState: null,
      cause: 'test',
      detail: { n: 1 },
    });
    await withClient(db.url, async (c) => {
      await assert.rejects(c.query('UPDATE audit_log SET cause = $1 WHERE id = $2', ['edited', first.id]), /append-only/);
      await assert.rejects(c.query('DELETE FROM audit_log WHERE id = $1', [first.id]), /append-only/);
      await assert.rejects(c.query('TRUNCATE audit_log CASCADE'), /append-only/);
      const head = (await c.query('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1')).rows[0] as { id: number; hash: string };
      const insert = 'INSERT INTO audit_log (id, at, package, cause, prev_hash, hash) VALUES ($1, 0, $2, $3, $4, $5)';
      // Not chained to the head, a skipped id, and a fork off an older entry.
      await assert.rejects(c.query(insert, [Number(head.id) + 1, 'x', 'forged', '1'.repeat(64), 'a'.repeat(64)]), /hash-chained/);
      await assert.rejects(c.query(insert, [Number(head.id) + 2, 'x', 'forged', head.hash, 'a'.repeat(64)]), /hash-chained/);
      await assert.rejects(c.query(insert, [Number(head.id) + 1, 'x', 'forged', first.prevHash, 'a'.repeat(64)]), /hash-chained|duplicate/);
    });
    assert.deepEqual(await store.audit.head(), { id: first.id, hash: first.hash });
  });

  test('appends from two stores at once never fork the chain, and `cordon audit verify` accepts it', async () => {
    const [a, b] = await Promise.all([track(open(db.url)), track(open(db.url))]);
    const before = (await a.audit.head())?.id ?? 0;
    const append = (s: Store, i: number) =>
      s.audit.append({ at: T + i, package: 'race', version: null, fromState: null, toState: null, cause: 'test', detail: { i } });
    await Promise.all(Array.from({ length: 40 }, (_, i) => append(i % 2 ? a : b, i)));
    const entries = await allEntries(a);
    assert.equal(entries.length, before + 40);
    const report = verifyAudit(entries, { sequence: await b.audit.sequence() });
    assert.deepEqual(report.problems, []);
    assert.equal(await a.audit.sequence(), entries[entries.length - 1]!.id);
  });

  test("a transition on one mirror moves the other mirror's change generation within a second", async () => {
    const [a, b] = await Promise.all([track(open(db.url)), track(open(db.url))]);
    await a.versions.recordSighting('feed-demo', T, [rec('feed-demo', '1.0.0')], []);
    await until('b hears of feed-demo', () => b.changes.generation('feed-demo') !== -1, 1000);
    const before = b.changes.generation('feed-demo');
    assert.equal(b.changes.live, true);
    const heard = nextChange(b, 1000);
    assert.equal(await a.versions.transition(move('feed-demo', '1.0.0', 'quarantined', 'released')), true);
    assert.equal(await heard, 'feed-demo');
    assert.notEqual(b.changes.generation('feed-demo'), before);
    // The writer's own feed moves as soon as its write committed, before any notification.
    const own = a.changes.generation('feed-demo');
    await a.versions.transition(move('feed-demo', '1.0.0', 'released', 'held', T + 2));
    assert.notEqual(a.changes.generation('feed-demo'), own);
    assert.equal(b.changes.generation('never-seen'), -1);
  });

  test('two mirrors deciding at once apply one transition, with one audit entry', async () => {
    const [a, b] = await Promise.all([track(open(db.url)), track(open(db.url))]);
    await a.versions.recordSighting('cas', T, [rec('cas', '1.0.0')], []);
    const results = await Promise.all([
      a.versions.transition(move('cas', '1.0.0', 'quarantined', 'released')),
      b.versions.transition(move('cas', '1.0.0', 'quarantined', 'held')),
      a.atomically(async (tx) => tx.versions.transition(move('cas', '1.0.0', 'quarantined', 'blocked'))),
    ]);
    assert.equal(results.filter(Boolean).length, 1);
    const moves = (await a.audit.ofPackage('cas')).filter((e) => e.fromState === 'quarantined');
    assert.equal(moves.length, 1);
  });

  test('two mirrors at once: one first sighting each version, each job claimed once, one unbroken chain', async () => {
    const [a, b] = await Promise.all([track(open(db.url)), track(open(db.url))]);
    const versions = Array.from({ length: 10 }, (_, i) => `1.${i}.0`);
    const job = (v: string) => ({
      id: `job-${v}`,
      package: 'busy',
      version: v,
      integrity: 'sha512-AAAA',
      previousVersion: null,
      previousIntegrity: null,
    });
    // Both mirrors see the same ten new versions at the same moment.
    await Promise.all(versions.flatMap((v) => [a, b].map((s) => s.versions.recordSighting('busy', T, [rec('busy', v)], [], [job(v)]))));
    assert.equal((await a.versions.versionsOf('busy')).length, 10);
    assert.equal((await a.audit.ofPackage('busy')).filter((e) => e.cause === 'first-sight').length, 10);
    // Both claim as fast as they can: every job once.
    const claimed = (await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).jobs.claim(T, 60_000, 1)))).flat();
    assert.deepEqual(claimed.map((j) => j.version).sort(), [...versions].sort());
    const report = verifyAudit(await allEntries(b), { sequence: await a.audit.sequence() });
    assert.deepEqual(report.problems, []);
  });

  test('the database refuses approved without a signed decision for the current bytes and findings', async () => {
    const store = await track(open(db.url));
    await store.versions.recordSighting('gate', T, [rec('gate', '1.0.0'), rec('gate', '2.0.0')], []);
    await assert.rejects(store.versions.transition(move('gate', '1.0.0', 'quarantined', 'approved')), /signed decision/);
    await withClient(db.url, async (c) => {
      await assert.rejects(c.query("UPDATE versions SET state = 'approved' WHERE package = 'gate'"), /signed decision/);
      await assert.rejects(c.query("UPDATE versions SET state = 'rejected' WHERE package = 'gate'"), /signed decision/);
    });
    const { decision: d, transitioned } = await store.approvals.accept(
      decision('gate', '1.0.0', 'nonce-gate-1'),
      move('gate', '1.0.0', 'quarantined', 'approved'),
    );
    assert.equal(transitioned, true);
    assert.equal((await store.versions.versionOf('gate', '1.0.0'))?.state, 'approved');
    // Once approved, its bytes cannot change underneath the decision; and decisions are append-only.
    await withClient(db.url, async (c) => {
      await assert.rejects(
        c.query("UPDATE versions SET integrity = 'sha512-BBBB' WHERE package = 'gate' AND version = '1.0.0'"),
        /signed decision/,
      );
      await assert.rejects(c.query('UPDATE decisions SET approver = $1 WHERE id = $2', ['mallory', d.id]), /append-only/);
      await assert.rejects(c.query('DELETE FROM decisions WHERE id = $1', [d.id]), /append-only/);
    });
    assert.deepEqual(
      (await store.approvals.decisionsOf('gate', '1.0.0')).map((x) => x.nonce),
      ['nonce-gate-1'],
    );
    assert.equal(await store.approvals.nonceUsed('nonce-gate-1'), true);
  });

  test('atomically rolls back on a throw and refuses a write through the store from inside', async () => {
    const store = await track(open(db.url));
    const head = await store.audit.head();
    await assert.rejects(
      store.atomically(async (tx) => {
        await tx.versions.recordSighting('rollback', T, [rec('rollback', '1.0.0')], []);
        assert.equal((await tx.versions.versionOf('rollback', '1.0.0'))?.state, 'quarantined');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await store.versions.versionOf('rollback', '1.0.0'), undefined);
    assert.deepEqual(await store.audit.head(), head);
    await assert.rejects(
      store.atomically(async () => store.versions.markRefreshed('x', T)),
      (err: unknown) => err instanceof StorageError && err.code === 'STORE_NESTED_WRITE',
    );
  });

  test('a data folder refuses a store of another id and a store rolled back behind what it saw', async () => {
    const dir = tempDir();
    const store = await open(db.url, dir);
    await store.audit.append({ at: T, package: 'identity', version: null, fromState: null, toState: null, cause: 'test', detail: null });
    await store.syncIdentity();
    await store.close();
    const identity = readIdentity(dir)!;
    assert.equal(
      identity.auditHead?.hash,
      (
        await withClient(
          db.url,
          async (c) => (await c.query('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1')).rows[0] as { hash: string },
        )
      ).hash,
    );
    writeIdentity(dir, { ...identity, auditHead: { id: identity.auditHead!.id + 5, hash: 'f'.repeat(64) } });
    await assert.rejects(open(db.url, dir), (err: unknown) => err instanceof DataFolderError && err.code === 'STORE_ROLLED_BACK');
    writeIdentity(dir, { ...identity, id: 'another-store' });
    await assert.rejects(open(db.url, dir), (err: unknown) => err instanceof DataFolderError && err.code === 'STORE_FOREIGN');
    writeIdentity(dir, identity);
    const again = await track(open(db.url, dir));
    assert.equal(again.identity.id, identity.id);
  });

  test('a database with a newer migration than this code knows is refused', async () => {
    const other = await createTestDatabase();
    try {
      const store = await open(other.url);
      await store.close();
      await withClient(other.url, (c) => c.query("INSERT INTO schema_migrations (id, name, applied_at) VALUES (99, 'future', 0)"));
      await assert.rejects(open(other.url), (err: unknown) => err instanceof StorageError && err.code === 'STORE_TOO_NEW');
    } finally {
      await other.drop();
    }
  });

  test('backup writes one consistent snapshot that inspects back to the same head', async () => {
    const store = await track(open(db.url));
    const file = join(tempDir(), 'store.backup');
    const summary = await store.backup(file);
    assert.deepEqual(summary.head, await store.audit.head());
    assert.equal(summary.dataId, store.identity.id);
    const inspected = inspectPostgresBackup(file);
    assert.deepEqual({ ...inspected, bytes: 0 }, { ...summary, bytes: 0 });
    assert.ok(summary.versions > 0);
    await assert.rejects(store.backup(file), /already exists/);
  });
});

test('PostgreSQL lost: every method fails closed with STORE_UNAVAILABLE, the feed is not live, and both recover on their own', async () => {
  const db = await createTestDatabase();
  const proxy = new CuttableProxy();
  await proxy.start();
  const dir = mkdtempSync(join(tmpdir(), 'cordon-pg-'));
  const store = await openPostgresStore({
    databaseUrl: proxy.urlFor(db.url),
    dataDir: dir,
    storeBusyTimeoutMs: 250,
    storeConnectTimeoutMs: 1000,
  });
  try {
    await store.versions.recordSighting('lost', T, [rec('lost', '1.0.0')], []);
    const before = store.changes.generation('lost');
    await proxy.cut();
    await until('the feed to notice', () => !store.changes.live);
    const unavailable = (err: unknown) => err instanceof StorageError && err.code === 'STORE_UNAVAILABLE' && isStoreUnavailable(err);
    await assert.rejects(store.versions.versionsOf('lost'), unavailable);
    await assert.rejects(store.versions.transition(move('lost', '1.0.0', 'quarantined', 'released')), unavailable);
    await assert.rejects(store.ops.probe(T), unavailable);
    await proxy.start();
    await until('the store to answer again', async () => (await store.versions.versionsOf('lost').catch(() => [])).length === 1);
    await until('the feed to reconnect', () => store.changes.live);
    // Whatever changed while it was deaf went unheard: every generation moved.
    assert.notEqual(store.changes.generation('lost'), before);
    assert.equal(await store.versions.transition(move('lost', '1.0.0', 'quarantined', 'released')), true);

    // A partition: nothing is refused, nothing answers. The heartbeat notices; the feed stops being live.
    proxy.freeze();
    await until('the feed to notice the partition', () => !store.changes.live);
    proxy.thaw();
    await until('the feed to come back after the partition', () => store.changes.live);
    assert.equal((await store.versions.versionOf('lost', '1.0.0'))?.state, 'released');
  } finally {
    await store.close();
    await proxy.cut();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL terminating every connection (a restart, 57P01): the store reconnects and the feed drops every cached generation', async () => {
  const db = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'cordon-pg-'));
  const store = await openPostgresStore({ databaseUrl: db.url, dataDir: dir, storeBusyTimeoutMs: 250 });
  try {
    await store.versions.recordSighting('restart', T, [rec('restart', '1.0.0')], []);
    const before = store.changes.generation('restart');
    const killed = await withClient(
      db.url,
      async (c) =>
        (
          await c.query('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
            db.name,
          ])
        ).rows.length,
    );
    assert.ok(killed >= 2, `terminated ${killed} connections (the pool's and the listener's)`);
    await until(
      'the feed to reconnect and move every generation',
      () => store.changes.live && store.changes.generation('restart') !== before,
    );
    await until(
      'the store to answer again',
      async () => (await store.versions.versionOf('restart', '1.0.0').catch(() => undefined))?.state === 'quarantined',
    );
    assert.equal(await store.versions.transition(move('restart', '1.0.0', 'quarantined', 'released')), true);
  } finally {
    await store.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
