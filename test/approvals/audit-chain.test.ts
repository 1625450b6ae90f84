import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAudit } from '../../server/approvals/audit-verify';
import type { VersionRecord } from '../../server/policy/version-state';
import { openDatabase, readAuditFile, VersionStore, type Db } from '../../storage';
import { migrations } from '../../storage/migrations';

const T = Date.parse('2026-11-20T12:00:00Z');
const rec = (version: string): VersionRecord => ({
  package: 'demo',
  version,
  state: 'quarantined',
  publishedAt: T,
  firstSeenAt: T,
  integrity: 'sha512-AAAA',
  tarball: null,
  tarballUrl: null,
  blob: null,
  reason: 'new',
  updatedAt: T,
  analysis: 'pending',
  maxSeverity: null,
  findingsDigest: null,
  publisher: null,
});
const file = () => join(mkdtempSync(join(tmpdir(), 'cordon-chain-')), 'cordon.sqlite');

/** Writes `n` first sightings and a transition: n + 1 chained entries. */
function fill(db: Db, n: number): void {
  const store = new VersionStore(db);
  for (let i = 0; i < n; i++) store.recordSighting('demo', T + i, [rec(`1.0.${i}`)], []);
  store.transition({
    package: 'demo',
    version: '1.0.0',
    from: 'quarantined',
    to: 'released',
    reason: 'cooldown ended',
    cause: 'cooldown-ended',
    at: T + 99,
    detail: { '10': 'integer-like key', a: 1 },
  });
}

/** Edits the log behind the appender's back, as someone with the database file could. */
function tamper(db: Db, sql: string): void {
  db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
  db.exec(sql);
}

test('entries written before migration 3 are chained by it, and new ones continue the chain', () => {
  const path = file();
  const old = openDatabase(path, migrations.slice(0, 2));
  // Rows as the appender before migration 3 wrote them (no hash columns yet).
  const insert = old.prepare(
    'INSERT INTO audit_log (at, package, version, from_state, to_state, cause, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  for (let i = 0; i < 3; i++)
    insert.run(T + i, 'demo', `1.0.${i}`, null, 'quarantined', 'first-sight', JSON.stringify({ reason: 'new', publishedAt: T }));
  insert.run(T + 99, 'demo', '1.0.0', 'quarantined', 'released', 'cooldown-ended', JSON.stringify({ '10': 'integer-like key', a: 1 }));
  old.close();
  const db = openDatabase(path);
  new VersionStore(db).recordSighting('demo', T + 200, [rec('2.0.0')], []);
  const { entries, sequence } = readAuditFile(path);
  assert.equal(entries.length, 5);
  assert.equal(sequence, 5);
  const report = verifyAudit(entries, { sequence });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.head, { id: 5, hash: entries[4]!.hash });
  db.close();
});

test('an unchained insert is refused by the database itself', () => {
  const db = openDatabase(':memory:');
  assert.throws(() => db.prepare("INSERT INTO audit_log (at, package, cause) VALUES (1, 'x', 'forged')").run(), /hash-chained/);
  fill(db, 1);
  const last = db.prepare('SELECT prev_hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as { prev_hash: string };
  assert.throws(
    () => db.prepare("INSERT INTO audit_log (at, package, cause, prev_hash, hash) VALUES (1, 'x', 'fork', ?, 'h')").run(last.prev_hash),
    /UNIQUE/,
    'the chain cannot fork',
  );
});

const cases: Array<{ name: string; sql: string; codes: string[] }> = [
  { name: 'an edited detail', sql: 'UPDATE audit_log SET detail = \'{"reason":"nothing to see"}\' WHERE id = 2', codes: ['ENTRY_ALTERED'] },
  { name: 'an edited state', sql: "UPDATE audit_log SET to_state = 'approved' WHERE id = 4", codes: ['ENTRY_ALTERED'] },
  { name: 'an entry deleted from the middle', sql: 'DELETE FROM audit_log WHERE id = 2', codes: ['ENTRY_MISSING', 'CHAIN_BROKEN'] },
  { name: 'an edited entry re-hashed (the next link breaks)', sql: '', codes: ['CHAIN_BROKEN'] },
  { name: 'the last entry deleted', sql: 'DELETE FROM audit_log WHERE id = 4', codes: ['TAIL_MISSING'] },
];

for (const c of cases) {
  test(`audit verify detects ${c.name}`, async () => {
    const path = file();
    const db = openDatabase(path);
    fill(db, 3);
    if (c.sql) tamper(db, c.sql);
    else {
      // A careful forger recomputes the edited entry's own hash; its successor still names the old one.
      const { auditEntryHash } = await import('../../storage');
      const e = readAuditFile(path).entries[1]!;
      const forged = { ...e, detail: { reason: 'forged' } };
      tamper(db, '');
      db.prepare('UPDATE audit_log SET detail = ?, hash = ? WHERE id = ?').run(JSON.stringify(forged.detail), auditEntryHash(forged), e.id);
    }
    db.close();
    const { entries, sequence } = readAuditFile(path);
    const codes = [...new Set(verifyAudit(entries, { sequence }).problems.map((p) => p.code))].sort();
    assert.deepEqual(codes, [...c.codes].sort());
  });
}

test('a head written down earlier catches a tail deleted together with its sequence', () => {
  const path = file();
  const db = openDatabase(path);
  fill(db, 3);
  const head = readAuditFile(path).entries[3]!;
  tamper(db, "DELETE FROM audit_log WHERE id = 4; UPDATE sqlite_sequence SET seq = 3 WHERE name = 'audit_log';");
  db.close();
  const { entries, sequence } = readAuditFile(path);
  assert.deepEqual(verifyAudit(entries, { sequence }).problems, [], 'without the head, a clean cut at the end is invisible');
  assert.deepEqual(
    verifyAudit(entries, { sequence, head: { id: head.id, hash: head.hash } }).problems.map((p) => p.code),
    ['HEAD_MISMATCH'],
  );
});
