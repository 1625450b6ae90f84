/** Migration 1: packages, versions with their lifecycle state, and the append-only audit log. */
export const sql = `
CREATE TABLE packages (
  name          TEXT PRIMARY KEY,
  first_seen_at INTEGER NOT NULL,
  refreshed_at  INTEGER
) WITHOUT ROWID;

CREATE TABLE versions (
  package       TEXT NOT NULL REFERENCES packages(name),
  version       TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('quarantined','held','released','approved','rejected','blocked')),
  published_at  INTEGER,
  first_seen_at INTEGER NOT NULL,
  integrity     TEXT,
  tarball       TEXT,
  reason        TEXT NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (package, version)
) WITHOUT ROWID;

CREATE INDEX versions_by_state ON versions(state, package);
CREATE INDEX versions_by_tarball ON versions(package, tarball);

CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  package    TEXT NOT NULL,
  version    TEXT,
  from_state TEXT,
  to_state   TEXT,
  cause      TEXT NOT NULL,
  detail     TEXT
);
CREATE INDEX audit_by_package ON audit_log(package, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`;
