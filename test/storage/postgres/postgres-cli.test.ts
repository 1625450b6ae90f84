import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '../../../storage/postgres';
import type { Store } from '../../../storage';
import { cordon } from '../../approvals/approval-mirror';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres';
import { move, rec, signedDecision, T } from '../contract/contract';

describe('cordon audit verify --db, cordon backup and cordon restore on PostgreSQL', () => {
  let db: TestDatabase;
  let store: Store;
  const dir = mkdtempSync(join(tmpdir(), 'cordon-pg-cli-'));

  before(async () => {
    db = await createTestDatabase();
    store = await openPostgresStore({ databaseUrl: db.url, dataDir: join(dir, 'data'), storeBusyTimeoutMs: 250 });
    await store.versions.recordSighting('lib', T, [rec('lib', '1.0.0'), rec('lib', '2.0.0', 'quarantined', { findingsDigest: 'd2' })], []);
    await store.versions.transition(move('lib', '1.0.0', 'quarantined', 'released'));
    await store.approvals.accept(
      signedDecision('lib', '2.0.0', 'sha512-lib-2.0.0', 'd2', 'approve'),
      move('lib', '2.0.0', 'quarantined', 'approved', T + 20),
    );
  });
  after(async () => {
    await store.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('verify reads the store itself: an unbroken chain with its signed decision', async () => {
    const r = await cordon(['audit', 'verify', '--db', db.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^OK: 5 entries in an unbroken hash chain, 1 signed decision\(s\) verified/);
  });

  test('backup writes the store as JSON lines that verify reads back and restore puts into a new database; a damaged backup is refused', async () => {
    const file = join(dir, 'store.backup');
    const r = await cordon(['backup', file], { CORDON_DATABASE_URL: db.url, CORDON_DATA_DIR: join(dir, 'cli-data') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Backed up the PostgreSQL store to .*: 2 versions, 1 decisions, audit head 5:/);
    const verified = await cordon(['audit', 'verify', '--db', file]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /5 entries in an unbroken hash chain, 1 signed decision/);

    // An edited entry is caught by the chain; a cut-short file by its trailer.
    const lines = readFileSync(file, 'utf8').split('\n');
    const edited = lines.map((l) => (l.includes('"cause":"cooldown-ended"') ? l.replace('"at":', '"at":1,"x":') : l)).join('\n');
    const tampered = join(dir, 'tampered.backup');
    writeFileSync(
      tampered,
      edited.replace(/"from_state":"quarantined","to_state":"released"/, '"from_state":"quarantined","to_state":"approved"'),
    );
    const bad = await cordon(['audit', 'verify', '--db', tampered]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /ENTRY_ALTERED|changed after it was written/);
    const cut = join(dir, 'cut.backup');
    writeFileSync(cut, lines.slice(0, 5).join('\n'));
    const short = await cordon(['audit', 'verify', '--db', cut]);
    assert.notEqual(short.code, 0);
    assert.match(short.stdout + short.stderr, /incomplete/);

    // Restore: only into a new, empty database; an edited backup never loads; the restore is audited.
    const target = await createTestDatabase();
    try {
      const env = { CORDON_DATABASE_URL: target.url, CORDON_DATA_DIR: join(dir, 'restored-data') };
      const refused = await cordon(['restore', tampered], env);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stdout + refused.stderr, /does not match its hash chain/);
      const r2 = await cordon(['restore', file], env);
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stdout, /2 versions, 1 decisions, audit head 5:.*the restore is audit entry 6:/s);
      const again = await cordon(['restore', file], { ...env, CORDON_DATA_DIR: join(dir, 'other-data') });
      assert.notEqual(again.code, 0);
      assert.match(again.stdout + again.stderr, /already holds a store/);
      const verified2 = await cordon(['audit', 'verify', '--db', target.url]);
      assert.equal(verified2.code, 0, verified2.stderr);
      assert.match(verified2.stdout, /6 entries in an unbroken hash chain, 1 signed decision/);
      const restored = await openPostgresStore({ databaseUrl: target.url, dataDir: env.CORDON_DATA_DIR, storeBusyTimeoutMs: 250 });
      try {
        assert.equal(restored.identity.id, store.identity.id);
        assert.deepEqual(
          (await restored.versions.versionsOf('lib')).map((v) => [v.version, v.state]),
          [
            ['1.0.0', 'released'],
            ['2.0.0', 'approved'],
          ],
        );
        assert.equal((await restored.approvals.decisionsOf('lib', '2.0.0')).length, 1);
        // New rows take new ids after the restored ones.
        await restored.versions.recordSighting('lib', T + 100, [rec('lib', '3.0.0')], []);
        assert.equal((await restored.audit.head())?.id, 7);
      } finally {
        await restored.close();
      }
    } finally {
      await target.drop();
    }
  });
});
