/**
 * Migration 10: what running the mirror needs. A notification outbox (one event per state change,
 * written in the transaction of the change, and one delivery per configured endpoint with its retry
 * state), refusals counted per version, and a one-row table the readiness check writes to.
 */
export const sql = `
CREATE TABLE notify_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  uid        TEXT NOT NULL UNIQUE,
  event      TEXT NOT NULL,
  package    TEXT NOT NULL,
  version    TEXT NOT NULL,
  from_state TEXT,
  to_state   TEXT NOT NULL,
  reason     TEXT NOT NULL,
  cause      TEXT NOT NULL,
  at         INTEGER NOT NULL,
  facts      TEXT NOT NULL,
  fanned_out INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notify_events_waiting ON notify_events(fanned_out, id);

CREATE TABLE notify_deliveries (
  event_id   INTEGER NOT NULL REFERENCES notify_events(id) ON DELETE CASCADE,
  endpoint   TEXT NOT NULL,
  body       TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
  attempts   INTEGER NOT NULL DEFAULT 0,
  next_at    INTEGER NOT NULL,
  last_error TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (event_id, endpoint)
) WITHOUT ROWID;
CREATE INDEX notify_deliveries_due ON notify_deliveries(status, next_at);

CREATE TABLE refusals (
  package         TEXT NOT NULL,
  version         TEXT NOT NULL,
  count           INTEGER NOT NULL,
  first_at        INTEGER NOT NULL,
  last_at         INTEGER NOT NULL,
  last_user_agent TEXT,
  PRIMARY KEY (package, version)
) WITHOUT ROWID;

CREATE TABLE health_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL
);
`;
