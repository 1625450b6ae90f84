/** Signed decisions on PostgreSQL (append-only, enforced by trigger) and the mirror's id. */
import type { ApprovalPort } from '../ports';
import { decisionRecords } from '../approval-store';
import type { Access } from './access';
import { appendAudit } from './audit';
import { applyTransition } from './transitions';
import { toDecision, type DecisionRow } from '../rows';

export function approvalPort(a: Access): ApprovalPort {
  const meta = (key: string) =>
    a.read(async (sql) => (await sql.one<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]))?.value);
  return {
    // Read first, so the common case (an id on record) takes no write lock; the first writer wins across mirrors.
    mirrorId: async (generate) =>
      (await meta('mirror-id')) ??
      a.write(async (sql) => {
        await sql.run("INSERT INTO meta (key, value) VALUES ('mirror-id', $1) ON CONFLICT DO NOTHING", [generate()]);
        return (await sql.one<{ value: string }>("SELECT value FROM meta WHERE key = 'mirror-id'"))!.value;
      }),
    nonceUsed: (nonce) => a.read(async (sql) => (await sql.one('SELECT 1 FROM decisions WHERE nonce = $1', [nonce])) !== undefined),
    decisionsOf: (name, version) =>
      a.read(async (sql) =>
        (await sql.rows<DecisionRow>('SELECT * FROM decisions WHERE package = $1 AND version = $2 ORDER BY id', [name, version])).map(
          toDecision,
        ),
      ),
    accept: (input, transition) =>
      a.write(
        async (sql) => {
          const { decision: d, audit } = decisionRecords(input);
          const entry = await appendAudit(sql, audit);
          const row = await sql.one<{ id: number }>(
            `INSERT INTO decisions (package, version, integrity, findings_digest, decision, approver, public_key, statement, signature, method, evidence, nonce, issued_at, accepted_at, audit_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
            [
              d.package,
              d.version,
              d.integrity,
              d.findingsDigest,
              d.decision,
              d.approver,
              d.publicKey,
              d.statement,
              d.signature,
              d.method,
              d.evidence === null ? null : JSON.stringify(d.evidence),
              d.nonce,
              d.issuedAt,
              d.acceptedAt,
              entry.id,
            ],
          );
          const transitioned = transition !== null && (await applyTransition(sql, transition));
          return { decision: { ...d, id: row!.id, auditId: entry.id }, transitioned };
        },
        [input.package, ...(transition ? [transition.package] : [])],
      ),
  };
}
