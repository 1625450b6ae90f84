/**
 * Checks an audit log as a whole, wherever it was read from: the hash chain (an edited, inserted or
 * deleted entry breaks it) and every signed decision in it (signature, key, statement ↔ entry).
 */
import { auditEntryHash, DECISION_CAUSE, GENESIS_HASH, PASSKEY_ENROLLED, PASSKEY_REMOVED, type AuditEntry } from '../../storage';
import { parseRequest, PASSKEY_NAMESPACE } from '../passkeys/passkey-request';
import { asEvidence, checkWebAuthnEvidence, type WebAuthnEvidence } from './webauthn-evidence';
import { CordonError } from '../errors';
import { parseSignature, verifySignature } from './sshsig';
import { parseStatement, type Statement } from './statement';

export type AuditProblemCode =
  | 'ENTRY_ALTERED'
  | 'CHAIN_BROKEN'
  | 'ENTRY_MISSING'
  | 'TAIL_MISSING'
  | 'HEAD_MISMATCH'
  | 'SIGNATURE_INVALID'
  | 'DECISION_MISMATCH'
  | 'ENROLLMENT_INVALID';

export interface AuditProblem {
  readonly id: number;
  readonly code: AuditProblemCode;
  readonly message: string;
}

/** A signed decision found in the log. */
export interface AuditedDecision {
  readonly auditId: number;
  readonly statement: Statement;
  readonly statementText: string;
  readonly signature: string;
  /** `ssh-ed25519 AAAA…` of the signing key (for a passkey: the SSH key it was enrolled under), as recorded. */
  readonly keyLine: string;
  readonly method: 'ssh' | 'webauthn';
  /** Passkey decisions: the WebAuthn evidence, and the enrollment that bound the passkey to the approver. */
  readonly evidence?: WebAuthnEvidence;
  readonly enrollment?: AuditedEnrollment;
}

/** A passkey bound to an approver by an SSH-signed request, as the log records it. */
export interface AuditedEnrollment {
  readonly auditId: number;
  readonly approver: string;
  readonly credentialId: string;
  /** The approver's SSH key blob (base64) and line, which signed the request. */
  readonly publicKey: string;
  readonly keyLine: string;
  readonly publicKeyPem: string;
  readonly request: string;
  readonly signature: string;
  /** Entry id of its removal, if removed. */
  removedBy?: number;
}

export interface AuditReport {
  readonly entries: number;
  readonly decisions: readonly AuditedDecision[];
  readonly enrollments: readonly AuditedEnrollment[];
  readonly head: { readonly id: number; readonly hash: string } | null;
  readonly problems: readonly AuditProblem[];
}

export interface AuditExpectations {
  /** The highest id the database ever handed out (sqlite_sequence), when read from the file. */
  readonly sequence?: number | null;
  /** An id and hash written down earlier: the log must still contain exactly that entry. */
  readonly head?: { readonly id: number; readonly hash: string };
}

class DecisionProblem extends CordonError<'SIGNATURE_INVALID' | 'DECISION_MISMATCH' | 'ENROLLMENT_INVALID'> {}

/** An SSH-signed passkey request in an entry: signed by the recorded key, in the passkey namespace, for this approver. */
function checkPasskeyRequest(
  e: AuditEntry,
  action: 'enroll' | 'remove',
): { approver: string; publicKey: string; request: string; signature: string; subject: string } {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const { request, signature, publicKey, approver } = d;
  if (typeof request !== 'string' || typeof signature !== 'string' || typeof publicKey !== 'string' || typeof approver !== 'string')
    throw new DecisionProblem('ENROLLMENT_INVALID', `a passkey ${action} without its signed request`);
  let subject: string;
  try {
    const sig = parseSignature(signature);
    if (sig.publicKeyBlob.toString('base64') !== publicKey)
      throw new DecisionProblem('ENROLLMENT_INVALID', 'the request was signed with another key than the one recorded');
    if (!verifySignature(sig, Buffer.from(request, 'utf8'), PASSKEY_NAMESPACE))
      throw new DecisionProblem('ENROLLMENT_INVALID', 'the SSH signature does not verify over the recorded request');
    const r = parseRequest(request);
    if (r.action !== action || r.approver !== approver)
      throw new DecisionProblem('ENROLLMENT_INVALID', 'the signed request and the entry disagree');
    subject = r.subject;
  } catch (err) {
    if (err instanceof DecisionProblem) throw err;
    throw new DecisionProblem('ENROLLMENT_INVALID', (err as Error).message);
  }
  return { approver, publicKey, request, signature, subject };
}

function checkEnrollment(e: AuditEntry): AuditedEnrollment {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const r = checkPasskeyRequest(e, 'enroll');
  if (r.subject !== d.tokenHash)
    throw new DecisionProblem('ENROLLMENT_INVALID', 'the passkey was registered through another link than the one the approver signed');
  if (typeof d.credentialId !== 'string' || typeof d.publicKeyPem !== 'string')
    throw new DecisionProblem('ENROLLMENT_INVALID', 'an enrollment without its credential');
  const keyLine =
    typeof d.keyLine === 'string'
      ? d.keyLine.split(/\s+/).slice(0, 2).join(' ')
      : `${parseSignature(r.signature).publicKey.type} ${r.publicKey}`;
  return {
    auditId: e.id,
    approver: r.approver,
    credentialId: d.credentialId,
    publicKey: r.publicKey,
    keyLine,
    publicKeyPem: d.publicKeyPem,
    request: r.request,
    signature: r.signature,
  };
}

function checkPasskeyDecision(
  text: string,
  d: Record<string, unknown>,
  enrolled: ReadonlyMap<string, AuditedEnrollment>,
): { evidence: WebAuthnEvidence; enrollment: AuditedEnrollment } {
  const evidence = asEvidence(d.evidence);
  if (!evidence) throw new DecisionProblem('DECISION_MISMATCH', 'a passkey decision without its WebAuthn evidence');
  const problem = checkWebAuthnEvidence(text, evidence);
  if (problem) throw new DecisionProblem('SIGNATURE_INVALID', problem);
  const enrollment = enrolled.get(evidence.credentialId);
  if (!enrollment) throw new DecisionProblem('SIGNATURE_INVALID', 'signed with a passkey that no earlier entry enrolled');
  if (enrollment.removedBy !== undefined)
    throw new DecisionProblem('SIGNATURE_INVALID', `signed with a passkey removed at entry ${enrollment.removedBy}`);
  if (
    enrollment.approver !== d.approver ||
    enrollment.publicKey !== d.publicKey ||
    enrollment.publicKeyPem !== evidence.publicKeyPem ||
    d.signature !== evidence.signature
  ) {
    throw new DecisionProblem('DECISION_MISMATCH', 'the passkey decision and the enrollment of its passkey disagree');
  }
  return { evidence, enrollment };
}

function checkDecision(e: AuditEntry, enrolled: ReadonlyMap<string, AuditedEnrollment>): AuditedDecision {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const { statement: text, signature, publicKey, keyLine } = d;
  if (typeof text !== 'string' || typeof signature !== 'string' || typeof publicKey !== 'string')
    throw new DecisionProblem('DECISION_MISMATCH', 'a signed decision without its statement, signature or key');
  let statement: Statement;
  const passkey = d.method === 'webauthn' ? checkPasskeyDecision(text, d, enrolled) : null;
  try {
    if (!passkey) {
      const sig = parseSignature(signature);
      if (sig.publicKeyBlob.toString('base64') !== publicKey)
        throw new DecisionProblem('SIGNATURE_INVALID', 'signed with another key than the one recorded');
      if (!verifySignature(sig, Buffer.from(text, 'utf8')))
        throw new DecisionProblem('SIGNATURE_INVALID', 'the signature does not verify over the recorded statement');
    }
    statement = parseStatement(text);
  } catch (err) {
    if (err instanceof DecisionProblem) throw err;
    throw new DecisionProblem('SIGNATURE_INVALID', (err as Error).message);
  }
  const same =
    statement.package === e.package &&
    statement.version === e.version &&
    statement.decision === d.decision &&
    statement.approver === d.approver &&
    statement.integrity === d.integrity &&
    statement.findingsDigest === d.findingsDigest &&
    statement.nonce === d.nonce;
  if (!same) throw new DecisionProblem('DECISION_MISMATCH', 'the entry and the signed statement disagree');
  const line =
    typeof keyLine === 'string'
      ? keyLine.split(/\s+/).slice(0, 2).join(' ')
      : passkey
        ? passkey.enrollment.keyLine
        : `${parseSignature(signature).publicKey.type} ${publicKey}`;
  if (passkey)
    return {
      auditId: e.id,
      statement,
      statementText: text,
      signature,
      keyLine: line,
      method: 'webauthn',
      evidence: passkey.evidence,
      enrollment: passkey.enrollment,
    };
  return { auditId: e.id, statement, statementText: text, signature, keyLine: line, method: 'ssh' };
}

/** Verifies `entries` (the whole log, oldest first). */
export function verifyAudit(entries: readonly AuditEntry[], expect: AuditExpectations = {}): AuditReport {
  const problems: AuditProblem[] = [];
  const decisions: AuditedDecision[] = [];
  const enrolled = new Map<string, AuditedEnrollment>();
  let prevHash = GENESIS_HASH;
  let expectedId = 1;
  for (const e of entries) {
    if (e.id !== expectedId)
      problems.push({
        id: e.id,
        code: 'ENTRY_MISSING',
        message: e.id > expectedId ? `entries ${expectedId}–${e.id - 1} are missing before entry ${e.id}` : `entry ${e.id} is out of order`,
      });
    if (e.prevHash !== prevHash)
      problems.push({
        id: e.id,
        code: 'CHAIN_BROKEN',
        message: `entry ${e.id} does not follow the entry before it (prev_hash ${e.prevHash.slice(0, 12)}…, expected ${prevHash.slice(0, 12)}…)`,
      });
    const { hash: _stored, ...rest } = e;
    if (auditEntryHash(rest) !== e.hash)
      problems.push({
        id: e.id,
        code: 'ENTRY_ALTERED',
        message: `entry ${e.id} (${e.cause} ${e.package}${e.version ? `@${e.version}` : ''}) was changed after it was written`,
      });
    try {
      if (e.cause === DECISION_CAUSE) decisions.push(checkDecision(e, enrolled));
      if (e.cause === PASSKEY_ENROLLED) {
        const enrollment = checkEnrollment(e);
        enrolled.set(enrollment.credentialId, enrollment);
      }
      if (e.cause === PASSKEY_REMOVED) {
        const r = checkPasskeyRequest(e, 'remove');
        const enrollment = enrolled.get(r.subject);
        if (enrollment && enrollment.approver === r.approver) enrollment.removedBy = e.id;
        else problems.push({ id: e.id, code: 'ENROLLMENT_INVALID', message: `entry ${e.id}: removes a passkey its signer never enrolled` });
      }
    } catch (err) {
      if (!(err instanceof DecisionProblem)) throw err;
      problems.push({ id: e.id, code: err.code, message: `entry ${e.id}: ${err.message}` });
    }
    prevHash = e.hash;
    expectedId = e.id + 1;
  }
  const last = entries[entries.length - 1];
  const head = last ? { id: last.id, hash: last.hash } : null;
  if (expect.sequence != null && expect.sequence > (last?.id ?? 0)) {
    problems.push({
      id: expect.sequence,
      code: 'TAIL_MISSING',
      message: `entries ${(last?.id ?? 0) + 1}–${expect.sequence} were written and are gone`,
    });
  }
  if (expect.head) {
    const at = entries.find((e) => e.id === expect.head!.id);
    if (!at || at.hash !== expect.head.hash)
      problems.push({
        id: expect.head.id,
        code: 'HEAD_MISMATCH',
        message: `entry ${expect.head.id} is ${at ? 'not the one written down earlier' : 'gone'}`,
      });
  }
  return { entries: entries.length, decisions, enrollments: [...enrolled.values()], head, problems };
}
