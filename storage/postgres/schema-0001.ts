/**
 * PostgreSQL migration 1: the schema SQLite reaches after its migrations 0001–0011, in one step, with
 * the same guarantees enforced by the database itself:
 * - the audit log is append-only (UPDATE, DELETE and TRUNCATE refused) and every insert must chain to
 *   the current head (id = head + 1, prev_hash = the head's hash, or genesis on an empty log);
 *   `audit_sequence` remembers the highest id ever written, so a tail removed behind Cordon's back shows;
 * - decisions are append-only; a version becomes approved/rejected, or changes bytes or findings while
 *   approved/rejected, only with a signed decision for its current integrity and findings digest;
 * - every change of a package's versions bumps its generation and announces the package on the
 *   `cordon_changes` channel (LISTEN/NOTIFY), so every mirror drops what it cached within a second.
 * Names, versions and the like compare and sort bytewise (COLLATE "C"), as in SQLite.
 */
export const sql = `
CREATE TABLE meta (
  key   TEXT COLLATE "C" PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE packages (
  name          TEXT COLLATE "C" PRIMARY KEY,
  first_seen_at BIGINT NOT NULL,
  refreshed_at  BIGINT,
  generation    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE versions (
  package         TEXT COLLATE "C" NOT NULL REFERENCES packages(name),
  version         TEXT COLLATE "C" NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('quarantined','held','released','approved','rejected','blocked')),
  published_at    BIGINT,
  first_seen_at   BIGINT NOT NULL,
  integrity       TEXT,
  tarball         TEXT COLLATE "C",
  reason          TEXT NOT NULL,
  updated_at      BIGINT NOT NULL,
  analysis        TEXT CHECK (analysis IN ('pending','clean','flagged','failed')),
  max_severity    TEXT,
  findings_digest TEXT,
  publisher       TEXT COLLATE "C",
  tarball_url     TEXT,
  blob            TEXT,
  PRIMARY KEY (package, version)
);
CREATE INDEX versions_by_state ON versions(state, package);
CREATE INDEX versions_by_tarball ON versions(package, tarball);
CREATE INDEX versions_by_publisher ON versions(publisher, published_at);
CREATE INDEX versions_by_state_updated ON versions(state, updated_at);

CREATE TABLE audit_log (
  id         BIGINT PRIMARY KEY CHECK (id > 0),
  at         BIGINT NOT NULL,
  package    TEXT COLLATE "C" NOT NULL,
  version    TEXT COLLATE "C",
  from_state TEXT,
  to_state   TEXT,
  cause      TEXT NOT NULL,
  detail     TEXT,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
CREATE INDEX audit_by_package ON audit_log(package, id);
-- One successor per entry: two writers racing for the same tail cannot fork the chain.
CREATE UNIQUE INDEX audit_chain ON audit_log(prev_hash);

CREATE TABLE audit_sequence (
  one   INTEGER PRIMARY KEY CHECK (one = 1),
  value BIGINT NOT NULL
);
INSERT INTO audit_sequence (one, value) VALUES (1, 0);

CREATE FUNCTION cordon_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION cordon_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION cordon_append_only();

CREATE FUNCTION cordon_audit_chained() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_id   BIGINT;
  head_hash TEXT;
BEGIN
  SELECT id, hash INTO head_id, head_hash FROM audit_log ORDER BY id DESC LIMIT 1;
  IF head_id IS NULL THEN
    head_id := 0;
    head_hash := repeat('0', 64);
  END IF;
  IF NEW.id <> head_id + 1 OR NEW.prev_hash <> head_hash OR NEW.hash !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'audit_log entries must be hash-chained to the head (entry % after %); append through the audit log', NEW.id, head_id
      USING ERRCODE = 'check_violation';
  END IF;
  UPDATE audit_sequence SET value = GREATEST(value, NEW.id) WHERE one = 1;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_log_chained BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION cordon_audit_chained();

CREATE FUNCTION cordon_sequence_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.value < OLD.value THEN
    RAISE EXCEPTION 'audit_sequence only moves forward' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_sequence_forward BEFORE UPDATE OR DELETE ON audit_sequence FOR EACH ROW EXECUTE FUNCTION cordon_sequence_forward();
CREATE TRIGGER audit_sequence_no_truncate BEFORE TRUNCATE ON audit_sequence FOR EACH STATEMENT EXECUTE FUNCTION cordon_append_only();

CREATE TABLE decisions (
  id              BIGSERIAL PRIMARY KEY,
  package         TEXT COLLATE "C" NOT NULL,
  version         TEXT COLLATE "C" NOT NULL,
  integrity       TEXT NOT NULL,
  findings_digest TEXT NOT NULL,
  decision        TEXT NOT NULL CHECK (decision IN ('approve','reject')),
  approver        TEXT NOT NULL,
  public_key      TEXT NOT NULL,
  statement       TEXT NOT NULL,
  signature       TEXT NOT NULL,
  nonce           TEXT NOT NULL UNIQUE,
  issued_at       BIGINT NOT NULL,
  accepted_at     BIGINT NOT NULL,
  audit_id        BIGINT NOT NULL REFERENCES audit_log(id),
  method          TEXT NOT NULL DEFAULT 'ssh' CHECK (method IN ('ssh','webauthn')),
  -- A passkey decision without its evidence, or an SSH decision with some, is refused by the store itself.
  evidence        TEXT CHECK ((method = 'ssh' AND evidence IS NULL) OR (method = 'webauthn' AND evidence IS NOT NULL))
);
CREATE INDEX decisions_by_version ON decisions(package, version, id);
CREATE TRIGGER decisions_no_update BEFORE UPDATE OR DELETE ON decisions FOR EACH ROW EXECUTE FUNCTION cordon_append_only();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions FOR EACH STATEMENT EXECUTE FUNCTION cordon_append_only();

CREATE FUNCTION cordon_approved_needs_decision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM decisions d
    WHERE d.package = NEW.package AND d.version = NEW.version AND d.integrity = NEW.integrity AND d.findings_digest = NEW.findings_digest
      AND d.decision = CASE NEW.state WHEN 'approved' THEN 'approve' ELSE 'reject' END
  ) THEN
    RAISE EXCEPTION 'a version becomes approved or rejected only through a signed decision for its current bytes and findings (% %)', NEW.package, NEW.version
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER versions_approved_needs_decision BEFORE UPDATE OF state, integrity, findings_digest ON versions FOR EACH ROW
  WHEN (NEW.state IN ('approved', 'rejected') AND (NEW.state IS DISTINCT FROM OLD.state OR NEW.integrity IS DISTINCT FROM OLD.integrity OR NEW.findings_digest IS DISTINCT FROM OLD.findings_digest))
  EXECUTE FUNCTION cordon_approved_needs_decision();
CREATE TRIGGER versions_inserted_needs_decision BEFORE INSERT ON versions FOR EACH ROW
  WHEN (NEW.state IN ('approved', 'rejected'))
  EXECUTE FUNCTION cordon_approved_needs_decision();

CREATE FUNCTION cordon_versions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  pkg TEXT := CASE WHEN TG_OP = 'DELETE' THEN OLD.package ELSE NEW.package END;
BEGIN
  UPDATE packages SET generation = generation + 1 WHERE packages.name = pkg;
  -- Delivered at commit (never for a rolled-back change), once per package per transaction.
  PERFORM pg_notify('cordon_changes', pkg);
  RETURN NULL;
END $$;
CREATE TRIGGER versions_changed AFTER INSERT OR UPDATE OR DELETE ON versions FOR EACH ROW EXECUTE FUNCTION cordon_versions_changed();

CREATE TABLE analyses (
  package          TEXT COLLATE "C" NOT NULL,
  version          TEXT COLLATE "C" NOT NULL,
  integrity        TEXT COLLATE "C" NOT NULL,
  previous_version TEXT,
  findings         TEXT NOT NULL,
  digest           TEXT NOT NULL,
  max_severity     TEXT,
  analyzer_version TEXT NOT NULL,
  timings          TEXT NOT NULL,
  finished_at      BIGINT NOT NULL,
  PRIMARY KEY (package, version, integrity)
);

CREATE TABLE added_findings (
  package   TEXT COLLATE "C" NOT NULL,
  version   TEXT COLLATE "C" NOT NULL,
  integrity TEXT COLLATE "C" NOT NULL,
  rule      TEXT COLLATE "C" NOT NULL,
  finding   TEXT NOT NULL,
  added_at  BIGINT NOT NULL,
  PRIMARY KEY (package, version, integrity, rule)
);

CREATE TABLE jobs (
  id                 TEXT COLLATE "C" PRIMARY KEY,
  package            TEXT COLLATE "C" NOT NULL,
  version            TEXT COLLATE "C" NOT NULL,
  integrity          TEXT NOT NULL,
  previous_version   TEXT,
  previous_integrity TEXT,
  status             TEXT NOT NULL CHECK (status IN ('waiting','active','done','failed')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  run_after          BIGINT NOT NULL,
  locked_until       BIGINT,
  last_error         TEXT,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  failing_since      BIGINT
);
CREATE INDEX jobs_ready ON jobs(status, run_after);
CREATE INDEX jobs_by_version ON jobs(package, version, created_at);
CREATE INDEX jobs_fair ON jobs(status, package, run_after);

CREATE TABLE passkey_enrollments (
  token_hash TEXT COLLATE "C" PRIMARY KEY,
  approver   TEXT NOT NULL,
  public_key TEXT NOT NULL,
  request    TEXT NOT NULL,
  signature  TEXT NOT NULL,
  nonce      TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  challenge  TEXT,
  used_at    BIGINT
);

CREATE TABLE passkeys (
  credential_id  TEXT COLLATE "C" PRIMARY KEY,
  approver       TEXT COLLATE "C" NOT NULL,
  ssh_key        TEXT NOT NULL,
  public_key     TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  algorithm      INTEGER NOT NULL,
  counter        BIGINT NOT NULL,
  transports     TEXT NOT NULL,
  token_hash     TEXT NOT NULL REFERENCES passkey_enrollments(token_hash),
  created_at     BIGINT NOT NULL,
  last_used_at   BIGINT,
  removed_at     BIGINT,
  audit_id       BIGINT NOT NULL REFERENCES audit_log(id)
);
CREATE INDEX passkeys_by_approver ON passkeys(approver, created_at);

CREATE TABLE notify_events (
  id         BIGSERIAL PRIMARY KEY,
  uid        TEXT NOT NULL UNIQUE,
  event      TEXT NOT NULL,
  package    TEXT COLLATE "C" NOT NULL,
  version    TEXT COLLATE "C" NOT NULL,
  from_state TEXT,
  to_state   TEXT NOT NULL,
  reason     TEXT NOT NULL,
  cause      TEXT NOT NULL,
  at         BIGINT NOT NULL,
  facts      TEXT NOT NULL,
  fanned_out INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notify_events_waiting ON notify_events(fanned_out, id);

CREATE TABLE notify_deliveries (
  event_id   BIGINT NOT NULL REFERENCES notify_events(id) ON DELETE CASCADE,
  endpoint   TEXT COLLATE "C" NOT NULL,
  body       TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
  attempts   INTEGER NOT NULL DEFAULT 0,
  next_at    BIGINT NOT NULL,
  last_error TEXT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (event_id, endpoint)
);
CREATE INDEX notify_deliveries_due ON notify_deliveries(status, next_at);

CREATE TABLE refusals (
  package         TEXT COLLATE "C" NOT NULL,
  version         TEXT COLLATE "C" NOT NULL,
  count           BIGINT NOT NULL,
  first_at        BIGINT NOT NULL,
  last_at         BIGINT NOT NULL,
  last_user_agent TEXT,
  PRIMARY KEY (package, version)
);

CREATE TABLE health_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at BIGINT NOT NULL
);

CREATE TABLE withdrawals (
  package          TEXT COLLATE "C" NOT NULL,
  version          TEXT COLLATE "C" NOT NULL,
  first_missing_at BIGINT NOT NULL,
  last_missing_at  BIGINT NOT NULL,
  misses           INTEGER NOT NULL,
  last_source      TEXT NOT NULL,
  cleared_at       BIGINT,
  cleared_by       TEXT,
  PRIMARY KEY (package, version)
);

-- Withdrawals decide what is visible: other mirrors hear of their changes too.
CREATE FUNCTION cordon_withdrawals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('cordon_changes', CASE WHEN TG_OP = 'DELETE' THEN OLD.package ELSE NEW.package END);
  RETURN NULL;
END $$;
CREATE TRIGGER withdrawals_changed AFTER INSERT OR UPDATE OR DELETE ON withdrawals FOR EACH ROW EXECUTE FUNCTION cordon_withdrawals_changed();
`;
