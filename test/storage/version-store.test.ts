import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnalysisStore, openDatabase, StorageError, VersionStore } from '../../storage';
import { migrations } from '../../storage/migrations';
import type { VersionRecord } from '../../server/policy/version-state';
import { versionRecord } from '../helpers/version-record';

const T = Date.parse('2026-11-20T12:00:00Z');
const rec = (version: string, state: VersionRecord['state'] = 'quarantined'): VersionRecord =>
  versionRecord('demo', version, state, { integrity: 'sha512-AAAA' });

test('migrations apply once, in WAL mode, and survive reopening', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cordon-db-')), 'cordon.sqlite');
  const db = openDatabase(file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  new VersionStore(db).recordSighting('demo', T, [rec('1.0.0')], []);
  db.close();
  const again = openDatabase(file);
  assert.deepEqual(
    again.prepare('SELECT id FROM schema_migrations ORDER BY id').all(),
    migrations.map((m) => ({ id: m.id })),
  );
  assert.equal(new VersionStore(again).versionsOf('demo').length, 1);
  again.close();
});

test('a database from a newer Cordon is refused', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cordon-db-')), 'cordon.sqlite');
  const db = openDatabase(file);
  db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (99, ?, 0)').run('future');
  db.close();
  assert.throws(
    () => openDatabase(file),
    (err: unknown) => err instanceof StorageError && err.code === 'STORE_TOO_NEW',
  );
});

test('sightings, transitions and the audit log', () => {
  const store = new VersionStore(openDatabase(':memory:'));
  assert.equal(store.hasPackage('demo'), false);
  store.recordSighting('demo', T, [rec('1.0.0', 'released'), rec('1.1.0')], []);
  assert.equal(store.hasPackage('demo'), true);
  assert.deepEqual(
    store
      .versionsOf('demo')
      .map((r) => [r.version, r.state])
      .sort(),
    [
      ['1.0.0', 'released'],
      ['1.1.0', 'quarantined'],
    ],
  );
  assert.deepEqual(
    store.versionsByTarball('demo', 'demo-1.1.0.tgz').map((r) => r.version),
    ['1.1.0'],
  );
  assert.deepEqual(store.packagesInState('quarantined'), ['demo']);

  // The same sighting again (another process got there first) changes nothing.
  store.recordSighting('demo', T + 1, [rec('1.1.0', 'released')], []);
  assert.equal(store.versionOf('demo', '1.1.0')?.state, 'quarantined');

  const t = {
    package: 'demo',
    version: '1.1.0',
    from: 'quarantined' as const,
    to: 'released' as const,
    reason: 'cooldown ended',
    cause: 'cooldown-ended',
    at: T + 5,
  };
  assert.equal(store.transition(t), true);
  assert.equal(store.transition(t), false, 'a transition whose from-state no longer holds is skipped');
  assert.equal(store.versionOf('demo', '1.1.0')?.state, 'released');

  const audit = store.auditOf('demo');
  assert.deepEqual(
    audit.map((e) => [e.version, e.fromState, e.toState, e.cause]),
    [
      ['1.0.0', null, 'released', 'first-sight'],
      ['1.1.0', null, 'quarantined', 'first-sight'],
      ['1.1.0', 'quarantined', 'released', 'cooldown-ended'],
    ],
  );
  assert.equal(audit[2]!.detail?.reason, 'cooldown ended');
});

test('the audit log is append-only and states are constrained', () => {
  const db = openDatabase(':memory:');
  const store = new VersionStore(db);
  store.recordSighting('demo', T, [rec('1.0.0')], []);
  assert.throws(() => db.prepare('UPDATE audit_log SET cause = ?').run('forged'), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM audit_log').run(), /append-only/);
  assert.throws(() => db.prepare("UPDATE versions SET state = 'visible'").run(), /CHECK constraint/);
});

test('the store refuses an approval or rejection that no signed decision backs', () => {
  const store = new VersionStore(openDatabase(':memory:'));
  store.recordSighting('demo', T, [rec('1.1.0')], []);
  for (const to of ['approved', 'rejected'] as const) {
    assert.throws(
      () =>
        store.transition({
          package: 'demo',
          version: '1.1.0',
          from: 'quarantined',
          to,
          reason: 'forged',
          cause: to === 'approved' ? 'approved' : 'rejected-signed',
          at: T,
        }),
      /only through a signed decision/,
    );
  }
  assert.equal(store.versionOf('demo', '1.1.0')?.state, 'quarantined');
  assert.ok(
    store.transition({ package: 'demo', version: '1.1.0', from: 'quarantined', to: 'held', reason: 'r', cause: 'analysis-flagged', at: T }),
    'other transitions still apply',
  );
});

test('a late analysis result cannot rewrite a released version', () => {
  const db = openDatabase(':memory:');
  const store = new VersionStore(db);
  const analyses = new AnalysisStore(db);
  store.recordSighting('demo', T, [rec('1.0.0', 'released'), rec('1.1.0')], []);
  const result = (version: string) => ({
    package: 'demo',
    version,
    integrity: 'sha512-AAAA',
    previousVersion: null,
    findings: [],
    digest: 'd',
    maxSeverity: null,
    analyzerVersion: 't',
    timings: {},
    finishedAt: T,
  });
  assert.equal(analyses.record(result('1.0.0'), 'flagged', null), false);
  assert.equal(store.versionOf('demo', '1.0.0')?.analysis, 'pending', 'unchanged');
  assert.equal(analyses.record(result('1.1.0'), 'clean', null), true);
  assert.equal(store.versionOf('demo', '1.1.0')?.analysis, 'clean');
});
