/**
 * Migration 3: signed decisions and a hash-chained audit log. Decisions are kept append-only with the
 * exact statement and signature; the mirror's generated id lives in `meta`; every audit entry gets
 * prev_hash/hash, existing entries chained in id order by `run`.
 */
import type { Db } from '../database';
import { auditEntryHash, GENESIS_HASH, type AuditEntry } from '../audit-log';

export const sql = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE decisions (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  package         TEXT NOT NULL,
  version         TEXT NOT NULL,
  integrity       TEXT NOT NULL,
  findings_digest TEXT NOT NULL,
  decision        TEXT NOT NULL CHECK (decision IN ('approve','reject')),
  approver        TEXT NOT NULL,
  public_key      TEXT NOT NULL,
  statement       TEXT NOT NULL,
  signature       TEXT NOT NULL,
  nonce           TEXT NOT NULL UNIQUE,
  issued_at       INTEGER NOT NULL,
  accepted_at     INTEGER NOT NULL,
  audit_id        INTEGER NOT NULL REFERENCES audit_log(id)
);
CREATE INDEX decisions_by_version ON decisions(package, version, id);

CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;

ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
-- One successor per entry: two writers racing for the same tail cannot fork the chain.
CREATE UNIQUE INDEX audit_chain ON audit_log(prev_hash);
`;

interface Row {
  id: number;
  at: number;
  package: string;
  version: string | null;
  from_state: AuditEntry['fromState'];
  to_state: AuditEntry['toState'];
  cause: string;
  detail: string | null;
}

/** Chains the entries written before this migration, then forbids unchained inserts. */
export function run(db: Db): void {
  db.exec('DROP TRIGGER audit_log_no_update');
  const update = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?');
  let prevHash = GENESIS_HASH;
  for (const r of db
    .prepare('SELECT id, at, package, version, from_state, to_state, cause, detail FROM audit_log ORDER BY id')
    .all() as Row[]) {
    const hash = auditEntryHash({
      id: r.id,
      at: r.at,
      package: r.package,
      version: r.version,
      fromState: r.from_state,
      toState: r.to_state,
      cause: r.cause,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
      prevHash,
    });
    update.run(prevHash, hash, r.id);
    prevHash = hash;
  }
  db.exec(`
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log WHEN NEW.hash IS NULL OR NEW.prev_hash IS NULL
BEGIN SELECT RAISE(ABORT, 'audit_log entries must be hash-chained; append through AuditLog'); END;
`);
}
