/**
 * Migration 11: transient faults stay transient. `withdrawals` keeps each answer from upstream that no
 * longer showed a version (a packument without it, a 404 for its tarball), so a withdrawal is confirmed
 * by repeated answers over a window instead of one; `jobs.failing_since` is when a job's current run of
 * failures began, so transient faults are retried for a time, not a count; `jobs_fair` lets the queue
 * pick the next job per package.
 */
export const sql = `
CREATE TABLE withdrawals (
  package          TEXT NOT NULL,
  version          TEXT NOT NULL,
  first_missing_at INTEGER NOT NULL,
  last_missing_at  INTEGER NOT NULL,
  misses           INTEGER NOT NULL,
  last_source      TEXT NOT NULL,
  cleared_at       INTEGER,
  cleared_by       TEXT,
  PRIMARY KEY (package, version)
) WITHOUT ROWID;

ALTER TABLE jobs ADD COLUMN failing_since INTEGER;
CREATE INDEX jobs_fair ON jobs(status, package, run_after);
`;
