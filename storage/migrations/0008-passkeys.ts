/**
 * Migration 8: passkeys. A decision records how it was signed (`ssh` or `webauthn`) and, for a passkey,
 * the WebAuthn evidence (credential, public key, authenticatorData, clientDataJSON, signature) needed to
 * verify it without Cordon. Passkeys are bound to an approver through an SSH-signed enrollment request;
 * each enrollment is a one-time link. Recently decided versions are listed by state and time.
 */
export const sql = `
ALTER TABLE decisions ADD COLUMN method TEXT NOT NULL DEFAULT 'ssh' CHECK (method IN ('ssh','webauthn'));
-- A passkey decision without its evidence, or an SSH decision with some, is refused by the store itself.
ALTER TABLE decisions ADD COLUMN evidence TEXT CHECK ((method = 'ssh' AND evidence IS NULL) OR (method = 'webauthn' AND evidence IS NOT NULL));

CREATE TABLE passkey_enrollments (
  token_hash    TEXT PRIMARY KEY,
  approver      TEXT NOT NULL,
  public_key    TEXT NOT NULL,
  request       TEXT NOT NULL,
  signature     TEXT NOT NULL,
  nonce         TEXT NOT NULL UNIQUE,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  challenge     TEXT,
  used_at       INTEGER
) WITHOUT ROWID;

CREATE TABLE passkeys (
  credential_id TEXT PRIMARY KEY,
  approver      TEXT NOT NULL,
  ssh_key       TEXT NOT NULL,
  public_key    TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  algorithm     INTEGER NOT NULL,
  counter       INTEGER NOT NULL,
  transports    TEXT NOT NULL,
  token_hash    TEXT NOT NULL REFERENCES passkey_enrollments(token_hash),
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  removed_at    INTEGER,
  audit_id      INTEGER NOT NULL REFERENCES audit_log(id)
) WITHOUT ROWID;
CREATE INDEX passkeys_by_approver ON passkeys(approver, created_at);

CREATE INDEX versions_by_state_updated ON versions(state, updated_at);
`;
