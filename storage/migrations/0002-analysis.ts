/**
 * Migration 2: the analysis pipeline. The outcome of the latest analysis is kept on the version row
 * (so the filter still reads one row per version), the findings in `analyses`, and the queue — an
 * outbox both runners drain — in `jobs`.
 */
export const sql = `
ALTER TABLE versions ADD COLUMN analysis TEXT CHECK (analysis IN ('pending','clean','flagged','failed'));
ALTER TABLE versions ADD COLUMN max_severity TEXT;
ALTER TABLE versions ADD COLUMN findings_digest TEXT;
ALTER TABLE versions ADD COLUMN publisher TEXT;

CREATE TABLE analyses (
  package          TEXT NOT NULL,
  version          TEXT NOT NULL,
  integrity        TEXT NOT NULL,
  previous_version TEXT,
  findings         TEXT NOT NULL,
  digest           TEXT NOT NULL,
  max_severity     TEXT,
  analyzer_version TEXT NOT NULL,
  timings          TEXT NOT NULL,
  finished_at      INTEGER NOT NULL,
  PRIMARY KEY (package, version, integrity)
) WITHOUT ROWID;

CREATE TABLE jobs (
  id               TEXT PRIMARY KEY,
  package          TEXT NOT NULL,
  version          TEXT NOT NULL,
  integrity        TEXT NOT NULL,
  previous_version TEXT,
  status           TEXT NOT NULL CHECK (status IN ('waiting','active','done','failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  run_after        INTEGER NOT NULL,
  locked_until     INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX jobs_ready ON jobs(status, run_after);

CREATE INDEX versions_by_publisher ON versions(publisher, published_at);
`;
