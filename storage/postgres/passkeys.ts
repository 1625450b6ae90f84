/** Passkeys and their one-time enrollment links, on PostgreSQL. */
import type { PasskeyPort } from '../ports';
import { PASSKEY_ENROLLED, PASSKEY_REMOVED, passkeyAudit, type StoredPasskey } from '../passkey-store';
import type { Access } from './access';
import { appendAudit } from './audit';
import { toEnrollment, toPasskey, type EnrollmentRow, type PasskeyRow } from '../rows';

export function passkeyPort(a: Access): PasskeyPort {
  return {
    // A token or nonce seen before (a replay) adds nothing.
    addEnrollment: (e) =>
      a.write(
        async (sql) =>
          (await sql.run(
            `INSERT INTO passkey_enrollments (token_hash, approver, public_key, request, signature, nonce, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
            [e.tokenHash, e.approver, e.publicKey, e.request, e.signature, e.nonce, e.createdAt, e.expiresAt],
          )) === 1,
      ),
    enrollment: (tokenHash) =>
      a.read(async (sql) => {
        const row = await sql.one<EnrollmentRow>('SELECT * FROM passkey_enrollments WHERE token_hash = $1', [tokenHash]);
        return row && toEnrollment(row);
      }),
    setChallenge: (tokenHash, challenge) =>
      a.write(
        async (sql) =>
          (await sql.run('UPDATE passkey_enrollments SET challenge = $1 WHERE token_hash = $2 AND used_at IS NULL', [
            challenge,
            tokenHash,
          ])) === 1,
      ),
    completeEnrollment: (passkey, challenge, at, auditDetail) =>
      a.write(async (sql) => {
        const used = await sql.run(
          'UPDATE passkey_enrollments SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 AND challenge = $3',
          [at, passkey.tokenHash, challenge],
        );
        if (used !== 1) return undefined;
        const entry = await appendAudit(sql, passkeyAudit(PASSKEY_ENROLLED, at, auditDetail));
        await sql.run(
          `INSERT INTO passkeys (credential_id, approver, ssh_key, public_key, public_key_pem, algorithm, counter, transports, token_hash, created_at, audit_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            passkey.credentialId,
            passkey.approver,
            passkey.sshKey,
            passkey.publicKey,
            passkey.publicKeyPem,
            passkey.algorithm,
            passkey.counter,
            JSON.stringify(passkey.transports),
            passkey.tokenHash,
            passkey.createdAt,
            entry.id,
          ],
        );
        const stored: StoredPasskey = { ...passkey, lastUsedAt: null, removedAt: null, auditId: entry.id };
        return { passkey: stored, entry };
      }),
    passkey: (credentialId) =>
      a.read(async (sql) => {
        const row = await sql.one<PasskeyRow>('SELECT * FROM passkeys WHERE credential_id = $1', [credentialId]);
        return row && toPasskey(row);
      }),
    all: () => a.read(async (sql) => (await sql.rows<PasskeyRow>('SELECT * FROM passkeys ORDER BY approver, created_at')).map(toPasskey)),
    remove: (credentialId, at, auditDetail) =>
      a.write(async (sql) => {
        if (
          (await sql.run('UPDATE passkeys SET removed_at = $1 WHERE credential_id = $2 AND removed_at IS NULL', [at, credentialId])) !== 1
        )
          return false;
        await appendAudit(sql, passkeyAudit(PASSKEY_REMOVED, at, auditDetail));
        return true;
      }),
    touch: (credentialId, counter, at) =>
      a.write(
        async (sql) =>
          (await sql.run('UPDATE passkeys SET counter = $1, last_used_at = $2 WHERE credential_id = $3 AND removed_at IS NULL', [
            counter,
            at,
            credentialId,
          ])) === 1,
      ),
  };
}
