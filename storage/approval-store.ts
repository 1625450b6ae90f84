/** Signed decisions (append-only, with statement and signature), the mirror's id, and reads of the chained audit log. */
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { AuditLog, type AuditEntry, type AuditInput } from './audit-log';
import { TransitionWriter, type Transition } from './transitions';
import { toDecision, type DecisionRow } from './rows';

/** One accepted decision as stored. */
export interface StoredDecision {
  readonly id: number;
  readonly package: string;
  readonly version: string;
  readonly integrity: string;
  readonly findingsDigest: string;
  readonly decision: 'approve' | 'reject';
  readonly approver: string;
  /** Wire blob of the signing key, base64. */
  readonly publicKey: string;
  /** The exact signed text. */
  readonly statement: string;
  /** The armoured SSHSIG signature, or (passkey) the WebAuthn signature, base64url. */
  readonly signature: string;
  /** How it was signed: an SSH key, or a passkey bound to the approver's SSH key. */
  readonly method: DecisionMethod;
  /** Passkey decisions: what verifies them without Cordon (credential, public key PEM, authenticatorData, clientDataJSON, signature). */
  readonly evidence: Readonly<Record<string, unknown>> | null;
  readonly nonce: string;
  readonly issuedAt: number;
  readonly acceptedAt: number;
  /** The audit log entry that records it. */
  readonly auditId: number;
}

/** The ways a decision can be signed. */
export type DecisionMethod = 'ssh' | 'webauthn';

export type NewDecision = Omit<StoredDecision, 'id' | 'auditId' | 'method' | 'evidence'> & {
  readonly method?: DecisionMethod;
  readonly evidence?: Readonly<Record<string, unknown>> | null;
  /** Extra facts for the audit entry (key line, fast-track, approvals so far). */
  readonly auditDetail: Record<string, unknown>;
};

/** The audit log cause of an accepted signed decision; its detail carries statement, signature and key. */
export const DECISION_CAUSE = 'decision-signed';

/** A decision as both backends keep it, and its audit entry (which carries everything needed to check it again). */
export function decisionRecords(input: NewDecision): { decision: Omit<StoredDecision, 'id' | 'auditId'>; audit: AuditInput } {
  const { auditDetail, method = 'ssh', evidence = null, ...rest } = input;
  const d = { ...rest, method, evidence };
  const audit: AuditInput = {
    at: d.acceptedAt,
    package: d.package,
    version: d.version,
    fromState: null,
    toState: null,
    cause: DECISION_CAUSE,
    detail: {
      ...auditDetail,
      decision: d.decision,
      approver: d.approver,
      publicKey: d.publicKey,
      integrity: d.integrity,
      findingsDigest: d.findingsDigest,
      nonce: d.nonce,
      statement: d.statement,
      signature: d.signature,
      // SSH entries keep the shape they always had; a passkey entry names its method and carries its evidence.
      ...(method === 'webauthn' ? { method, evidence } : {}),
    },
  };
  return { decision: d, audit };
}

export class ApprovalStore {
  private readonly stmt: Record<string, Statement>;
  private readonly auditLog: AuditLog;
  private readonly transitions: TransitionWriter;

  constructor(private readonly db: Db) {
    this.auditLog = new AuditLog(db);
    this.transitions = new TransitionWriter(db, this.auditLog);
    this.stmt = {
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      putMeta: db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)'),
      nonce: db.prepare('SELECT 1 FROM decisions WHERE nonce = ?'),
      ofVersion: db.prepare('SELECT * FROM decisions WHERE package = ? AND version = ? ORDER BY id'),
      insert: db.prepare(
        `INSERT INTO decisions (package, version, integrity, findings_digest, decision, approver, public_key, statement, signature, method, evidence, nonce, issued_at, accepted_at, audit_id)
         VALUES (@package, @version, @integrity, @findingsDigest, @decision, @approver, @publicKey, @statement, @signature, @method, @evidence, @nonce, @issuedAt, @acceptedAt, @auditId)`,
      ),
    };
  }

  /** The mirror's id: the stored one, or `generate()`'s, stored on first use (first writer wins). */
  mirrorId(generate: () => string): string {
    const found = this.stmt.getMeta!.get('mirror-id') as { value: string } | undefined;
    if (found) return found.value;
    this.stmt.putMeta!.run('mirror-id', generate());
    return (this.stmt.getMeta!.get('mirror-id') as { value: string }).value;
  }

  /** True when a decision with this nonce was accepted. */
  nonceUsed(nonce: string): boolean {
    return this.stmt.nonce!.get(nonce) !== undefined;
  }

  /** Every accepted decision about one version, oldest first. */
  decisionsOf(name: string, version: string): StoredDecision[] {
    return (this.stmt.ofVersion!.all(name, version) as DecisionRow[]).map(toDecision);
  }

  /**
   * Runs `fn` in one write transaction taken up front (BEGIN IMMEDIATE), so what it read cannot change
   * before it writes: checks and acceptance of a decision happen atomically even across processes.
   */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * Keeps an accepted decision and its audit entry and, when it completes a quorum or rejects,
   * the state change with its own audit entry. One transaction. Returns the decision as stored and
   * whether the transition applied.
   */
  accept(input: NewDecision, transition: Transition | null): { decision: StoredDecision; transitioned: boolean } {
    return this.db.transaction(() => {
      const { decision: d, audit } = decisionRecords(input);
      const entry = this.auditLog.append(audit);
      const id = Number(
        this.stmt.insert!.run({ ...d, evidence: d.evidence === null ? null : JSON.stringify(d.evidence), auditId: entry.id })
          .lastInsertRowid,
      );
      const transitioned = transition !== null && this.transitions.apply(transition);
      return { decision: { ...d, id, auditId: entry.id }, transitioned };
    })();
  }
}

/**
 * Every audit entry of a Cordon SQLite file, opened read-only (no migration, no write): for
 * `cordon audit verify --db` on a copy or on the live file of a stopped or running mirror.
 */
export function readAuditFile(file: string): { entries: AuditEntry[]; sequence: number | null } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const log = new AuditLog(db);
    const entries: AuditEntry[] = [];
    for (let page = log.page(0, 1000); page.length; page = log.page(page[page.length - 1]!.id, 1000)) entries.push(...page);
    // AUTOINCREMENT remembers the highest id ever used: a deleted tail shows as a gap here.
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").get() as { seq: number } | undefined;
    return { entries, sequence: seq?.seq ?? null };
  } finally {
    db.close();
  }
}
