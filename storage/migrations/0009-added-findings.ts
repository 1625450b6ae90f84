/**
 * Migration 9: findings the mirror adds to a version beyond its analysis (a cascade from a sibling's
 * rejection). They are kept apart so a later analysis of the same bytes keeps them, and merged into the
 * version's findings (and so into the digest approvals bind to). And an index for the sweeper, which
 * also re-reads packages with recently released versions.
 */
export const sql = `
CREATE TABLE added_findings (
  package   TEXT NOT NULL,
  version   TEXT NOT NULL,
  integrity TEXT NOT NULL,
  rule      TEXT NOT NULL,
  finding   TEXT NOT NULL,
  added_at  INTEGER NOT NULL,
  PRIMARY KEY (package, version, integrity, rule)
) WITHOUT ROWID;
CREATE INDEX versions_by_state_time ON versions(state, updated_at);
`;
