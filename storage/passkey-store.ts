/** Passkeys bound to approvers, and the one-time enrollment links that create them. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { AuditLog, type AuditEntry, type AuditInput } from './audit-log';
import { toEnrollment, toPasskey, type EnrollmentRow, type PasskeyRow } from './rows';

/** An SSH-signed request for a one-time enrollment link, as kept until it is used or expires. */
export interface StoredEnrollment {
  /** sha256 hex of the link's secret token; the token itself is never stored. */
  readonly tokenHash: string;
  readonly approver: string;
  /** The approver's SSH key blob (base64) that signed the request. */
  readonly publicKey: string;
  /** The exact signed request text and its armoured SSHSIG signature. */
  readonly request: string;
  readonly signature: string;
  readonly nonce: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The registration challenge handed to the browser (base64url), once the link was opened. */
  readonly challenge: string | null;
  readonly usedAt: number | null;
}

/** A registered passkey. */
export interface StoredPasskey {
  /** WebAuthn credential id, base64url. */
  readonly credentialId: string;
  readonly approver: string;
  /** The approver's SSH key blob (base64) at enrollment: the passkey counts only while the config still has it. */
  readonly sshKey: string;
  /** COSE public key, base64url (what the WebAuthn library verifies with). */
  readonly publicKey: string;
  /** The same key as SPKI PEM (what openssl verifies with). */
  readonly publicKeyPem: string;
  /** COSE algorithm id (-7 ES256, -8 EdDSA, -257 RS256). */
  readonly algorithm: number;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly tokenHash: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly removedAt: number | null;
  /** The audit entry that records the binding. */
  readonly auditId: number;
}

export type NewPasskey = Omit<StoredPasskey, 'lastUsedAt' | 'removedAt' | 'auditId'>;

/** Audit causes written by this store. */
export const PASSKEY_ENROLLED = 'passkey-enrolled';
export const PASSKEY_REMOVED = 'passkey-removed';
/** Package field of audit entries that are about people, not packages. */
export const PASSKEY_AUDIT_PACKAGE = '-';

/** The audit entry of a passkey enrolled or removed, on either backend (it names no package or version). */
export function passkeyAudit(
  cause: typeof PASSKEY_ENROLLED | typeof PASSKEY_REMOVED,
  at: number,
  detail: Record<string, unknown>,
): AuditInput {
  return { at, package: PASSKEY_AUDIT_PACKAGE, version: null, fromState: null, toState: null, cause, detail };
}

export class PasskeyStore {
  private readonly stmt: Record<string, Statement>;
  private readonly auditLog: AuditLog;

  constructor(private readonly db: Db) {
    this.auditLog = new AuditLog(db);
    this.stmt = {
      insertEnrollment: db.prepare(
        `INSERT OR IGNORE INTO passkey_enrollments (token_hash, approver, public_key, request, signature, nonce, created_at, expires_at)
         VALUES (@tokenHash, @approver, @publicKey, @request, @signature, @nonce, @createdAt, @expiresAt)`,
      ),
      enrollment: db.prepare('SELECT * FROM passkey_enrollments WHERE token_hash = ?'),
      setChallenge: db.prepare('UPDATE passkey_enrollments SET challenge = ? WHERE token_hash = ? AND used_at IS NULL'),
      useEnrollment: db.prepare(
        'UPDATE passkey_enrollments SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? AND challenge = ?',
      ),
      insertPasskey: db.prepare(
        `INSERT INTO passkeys (credential_id, approver, ssh_key, public_key, public_key_pem, algorithm, counter, transports, token_hash, created_at, audit_id)
         VALUES (@credentialId, @approver, @sshKey, @publicKey, @publicKeyPem, @algorithm, @counter, @transports, @tokenHash, @createdAt, @auditId)`,
      ),
      passkey: db.prepare('SELECT * FROM passkeys WHERE credential_id = ?'),
      all: db.prepare('SELECT * FROM passkeys ORDER BY approver, created_at'),
      remove: db.prepare('UPDATE passkeys SET removed_at = ? WHERE credential_id = ? AND removed_at IS NULL'),
      touch: db.prepare('UPDATE passkeys SET counter = ?, last_used_at = ? WHERE credential_id = ? AND removed_at IS NULL'),
    };
  }

  /** Keeps a verified enrollment request; false when one with the same token or nonce exists (a replay). */
  addEnrollment(e: Omit<StoredEnrollment, 'challenge' | 'usedAt'>): boolean {
    try {
      return this.stmt.insertEnrollment!.run(e).changes === 1;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw err;
    }
  }

  /** The enrollment whose token hashes to `tokenHash`, or undefined. */
  enrollment(tokenHash: string): StoredEnrollment | undefined {
    const row = this.stmt.enrollment!.get(tokenHash) as EnrollmentRow | undefined;
    return row && toEnrollment(row);
  }

  /** Remembers the registration challenge of an unused enrollment (a newer one replaces it). */
  setChallenge(tokenHash: string, challenge: string): boolean {
    return this.stmt.setChallenge!.run(challenge, tokenHash).changes === 1;
  }

  /**
   * Uses the enrollment (once, before it expires, with the challenge the browser signed), keeps the
   * passkey and writes the binding to the audit log: one transaction. Undefined when the link was
   * used, expired or re-opened meanwhile.
   */
  completeEnrollment(
    passkey: NewPasskey,
    challenge: string,
    at: number,
    auditDetail: Record<string, unknown>,
  ): { passkey: StoredPasskey; entry: AuditEntry } | undefined {
    return this.db.transaction(() => {
      if (this.stmt.useEnrollment!.run(at, passkey.tokenHash, at, challenge).changes !== 1) return undefined;
      const entry = this.auditLog.append(passkeyAudit(PASSKEY_ENROLLED, at, auditDetail));
      this.stmt.insertPasskey!.run({ ...passkey, transports: JSON.stringify(passkey.transports), auditId: entry.id });
      return { passkey: { ...passkey, lastUsedAt: null, removedAt: null, auditId: entry.id }, entry };
    })();
  }

  /** One passkey by credential id (removed ones included), or undefined. */
  passkey(credentialId: string): StoredPasskey | undefined {
    const row = this.stmt.passkey!.get(credentialId) as PasskeyRow | undefined;
    return row && toPasskey(row);
  }

  /** Every passkey ever registered, by approver and age. */
  all(): StoredPasskey[] {
    return (this.stmt.all!.all() as PasskeyRow[]).map(toPasskey);
  }

  /** Marks a passkey removed and writes that to the audit log; false when it was already removed. */
  remove(credentialId: string, at: number, auditDetail: Record<string, unknown>): boolean {
    return this.db.transaction(() => {
      if (this.stmt.remove!.run(at, credentialId).changes !== 1) return false;
      this.auditLog.append(passkeyAudit(PASSKEY_REMOVED, at, auditDetail));
      return true;
    })();
  }

  /** Records a use: the authenticator's new signature counter; call inside the decision's transaction. */
  touch(credentialId: string, counter: number, at: number): boolean {
    return this.stmt.touch!.run(counter, at, credentialId).changes === 1;
  }
}
