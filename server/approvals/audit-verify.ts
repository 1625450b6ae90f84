/**
 * Checks an audit log as a whole, wherever it was read from: the hash chain (an edited, inserted or
 * deleted entry breaks it) and every signed decision in it (signature, key, statement ↔ entry).
 */
import { auditEntryHash, DECISION_CAUSE, GENESIS_HASH, type AuditEntry } from '../../storage';
import { CordonError } from '../errors';
import { parseSignature, verifySignature } from './sshsig';
import { parseStatement, type Statement } from './statement';

export type AuditProblemCode = 'ENTRY_ALTERED' | 'CHAIN_BROKEN' | 'ENTRY_MISSING' | 'TAIL_MISSING' | 'HEAD_MISMATCH' | 'SIGNATURE_INVALID' | 'DECISION_MISMATCH';

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
  /** `ssh-ed25519 AAAA…` of the signing key, as recorded. */
  readonly keyLine: string;
}

export interface AuditReport {
  readonly entries: number;
  readonly decisions: readonly AuditedDecision[];
  readonly head: { readonly id: number; readonly hash: string } | null;
  readonly problems: readonly AuditProblem[];
}

export interface AuditExpectations {
  /** The highest id the database ever handed out (sqlite_sequence), when read from the file. */
  readonly sequence?: number | null;
  /** An id and hash written down earlier: the log must still contain exactly that entry. */
  readonly head?: { readonly id: number; readonly hash: string };
}

class DecisionProblem extends CordonError<'SIGNATURE_INVALID' | 'DECISION_MISMATCH'> {}

function checkDecision(e: AuditEntry): AuditedDecision {
  const d = (e.detail ?? {}) as Record<string, unknown>;
  const { statement: text, signature, publicKey, keyLine } = d;
  if (typeof text !== 'string' || typeof signature !== 'string' || typeof publicKey !== 'string') throw new DecisionProblem('DECISION_MISMATCH', 'a signed decision without its statement, signature or key');
  let statement: Statement;
  try {
    const sig = parseSignature(signature);
    if (sig.publicKeyBlob.toString('base64') !== publicKey) throw new DecisionProblem('SIGNATURE_INVALID', 'signed with another key than the one recorded');
    if (!verifySignature(sig, Buffer.from(text, 'utf8'))) throw new DecisionProblem('SIGNATURE_INVALID', 'the signature does not verify over the recorded statement');
    statement = parseStatement(text);
  } catch (err) {
    if (err instanceof DecisionProblem) throw err;
    throw new DecisionProblem('SIGNATURE_INVALID', (err as Error).message);
  }
  const same = statement.package === e.package && statement.version === e.version && statement.decision === d.decision && statement.approver === d.approver
    && statement.integrity === d.integrity && statement.findingsDigest === d.findingsDigest && statement.nonce === d.nonce;
  if (!same) throw new DecisionProblem('DECISION_MISMATCH', 'the entry and the signed statement disagree');
  const type = parseSignature(signature).publicKey.type;
  return { auditId: e.id, statement, statementText: text, signature, keyLine: typeof keyLine === 'string' ? keyLine.split(/\s+/).slice(0, 2).join(' ') : `${type} ${publicKey}` };
}

/** Verifies `entries` (the whole log, oldest first). */
export function verifyAudit(entries: readonly AuditEntry[], expect: AuditExpectations = {}): AuditReport {
  const problems: AuditProblem[] = [];
  const decisions: AuditedDecision[] = [];
  let prevHash = GENESIS_HASH;
  let expectedId = 1;
  for (const e of entries) {
    if (e.id !== expectedId) problems.push({ id: e.id, code: 'ENTRY_MISSING', message: e.id > expectedId ? `entries ${expectedId}–${e.id - 1} are missing before entry ${e.id}` : `entry ${e.id} is out of order` });
    if (e.prevHash !== prevHash) problems.push({ id: e.id, code: 'CHAIN_BROKEN', message: `entry ${e.id} does not follow the entry before it (prev_hash ${e.prevHash.slice(0, 12)}…, expected ${prevHash.slice(0, 12)}…)` });
    const { hash: _stored, ...rest } = e;
    if (auditEntryHash(rest) !== e.hash) problems.push({ id: e.id, code: 'ENTRY_ALTERED', message: `entry ${e.id} (${e.cause} ${e.package}${e.version ? `@${e.version}` : ''}) was changed after it was written` });
    if (e.cause === DECISION_CAUSE) {
      try {
        decisions.push(checkDecision(e));
      } catch (err) {
        if (!(err instanceof DecisionProblem)) throw err;
        problems.push({ id: e.id, code: err.code, message: `entry ${e.id}: ${err.message}` });
      }
    }
    prevHash = e.hash;
    expectedId = e.id + 1;
  }
  const last = entries[entries.length - 1];
  const head = last ? { id: last.id, hash: last.hash } : null;
  if (expect.sequence != null && expect.sequence > (last?.id ?? 0)) {
    problems.push({ id: expect.sequence, code: 'TAIL_MISSING', message: `entries ${(last?.id ?? 0) + 1}–${expect.sequence} were written and are gone` });
  }
  if (expect.head) {
    const at = entries.find((e) => e.id === expect.head!.id);
    if (!at || at.hash !== expect.head.hash) problems.push({ id: expect.head.id, code: 'HEAD_MISMATCH', message: `entry ${expect.head.id} is ${at ? 'not the one written down earlier' : 'gone'}` });
  }
  return { entries: entries.length, decisions, head, problems };
}
