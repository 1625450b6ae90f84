/**
 * The approval service: hands out statements to sign, accepts signed decisions (checks, quorum,
 * fast-track, state change — atomically), and answers what is waiting and who has approved what.
 */
import type { CordonConfig } from '../config';
import type { Clock } from '../clock';
import { cooldownEndsAt, decide } from '../policy/lifecycle';
import type { VersionDecision, VersionRecord, VersionState } from '../policy/version-state';
import type { ApprovalStore, StoredDecision, Transition, VersionStore } from '../../storage';
import type { QuarantineService } from '../quarantine/quarantine-service';
import { ApprovalError } from './errors';
import { countingApprovers, requiredApprovals } from './quorum';
import { canonicalStatement, MAX_REASON, newNonce, STATEMENT_TYPE, type Decision, type Statement } from './statement';
import { approverForKey, assertDecidable, verifyDecision } from './verify-decision';

export interface ApprovalDeps {
  readonly config: Pick<CordonConfig, 'approvers' | 'quorum'>;
  /** The id statements name. */
  readonly mirrorId: string;
  readonly clock: Clock;
  readonly store: VersionStore;
  readonly approvals: ApprovalStore;
  readonly quarantine: Pick<QuarantineService, 'ruleFor'>;
}

/** Where the approvals of one version's current bytes and findings stand. */
export interface ApprovalStatus {
  readonly package: string;
  readonly version: string;
  readonly state: VersionState;
  readonly visible: boolean;
  readonly integrity: string | null;
  readonly findingsDigest: string | null;
  readonly analysis: VersionRecord['analysis'];
  readonly maxSeverity: string | null;
  /** When the cooldown ends; approving before then is a fast-track. */
  readonly cooldownEndsAt: number;
  readonly releaseAt: number | null;
  readonly fastTrack: boolean;
  readonly required: number;
  /** Approvers whose approvals count for the current bytes and findings. */
  readonly approvedBy: readonly string[];
  readonly reason: string;
}

/** What accepting a decision did. */
export interface DecisionOutcome {
  readonly decision: StoredDecision;
  /** The state transition it caused, or null when more approvals are needed. */
  readonly transition: Transition | null;
  readonly status: ApprovalStatus;
}

export class ApprovalService {
  /** The id every statement names: configured, or generated once and kept in the store. */
  readonly mirrorId: string;

  constructor(private readonly deps: ApprovalDeps) {
    this.mirrorId = deps.mirrorId;
  }

  /**
   * The statement an approver is to sign for the current bytes and findings of a version. `publicKey`
   * (wire blob, base64) names the approver. Refuses what a signed decision would be refused for
   * anyway, so the approver hears it before touching their key.
   */
  statementFor(name: string, version: string, decision: Decision, reason: string, publicKey: string): { statement: Statement; text: string } {
    const approver = approverForKey(this.deps.config.approvers, Buffer.from(publicKey, 'base64'));
    if (!approver) throw new ApprovalError('UNKNOWN_SIGNER', 'This key is not an approver of this mirror (or has been removed). Add its public key under approvers in cordon.yaml, or use the key that is listed.');
    if (reason.length > MAX_REASON) throw new ApprovalError('BAD_REQUEST', `The reason is longer than ${MAX_REASON} characters; shorten it.`);
    const now = this.deps.clock.now();
    const record = this.deps.store.versionOf(name, version);
    const target = { package: name, version };
    assertDecidable(target, record, record ? this.visible(record, now) : false);
    const statement: Statement = {
      type: STATEMENT_TYPE, mirrorId: this.mirrorId, package: name, version, integrity: record.integrity, findingsDigest: record.findingsDigest,
      decision, reason, approver: approver.name, issuedAt: new Date(now).toISOString(), nonce: newNonce(),
    };
    return { statement, text: canonicalStatement(statement) };
  }

  /** Checks and accepts a signed decision; throws ApprovalError (and changes nothing) when refused. */
  submit(name: string, version: string, statementText: string, signature: string): DecisionOutcome {
    const { approvals, store, clock, config } = this.deps;
    return approvals.atomically(() => {
      const now = clock.now();
      const record = store.versionOf(name, version);
      const previous = record ? approvals.decisionsOf(name, version) : [];
      const verified = verifyDecision(statementText, signature, {
        mirrorId: this.mirrorId, target: { package: name, version }, record, visible: record ? this.visible(record, now) : false, approvers: config.approvers, now,
        nonceUsed: (nonce) => approvals.nonceUsed(nonce),
        alreadySigned: (approver, decision) => {
          const key = config.approvers.find((a) => a.name === approver)?.publicKey;
          return previous.some((d) => d.approver === approver && d.decision === decision && d.publicKey === key && d.integrity === record?.integrity && d.findingsDigest === record?.findingsDigest);
        },
      });
      const current = record!;
      const { statement, approver } = verified;
      const fastTrack = now < this.cooldownEnd(current);
      const required = requiredApprovals(config.quorum, current.maxSeverity, fastTrack);
      const accepted = { package: name, version, integrity: statement.integrity, findingsDigest: statement.findingsDigest, decision: statement.decision, approver: approver.name, publicKey: approver.publicKey };
      const approvedBy = countingApprovers([...previous, accepted], config.approvers, current.integrity!, current.findingsDigest!);
      const transition = this.transitionFor(current, statement, approvedBy, required, fastTrack, now);
      const { decision, transitioned } = approvals.accept(
        { ...accepted, statement: statementText, signature, nonce: statement.nonce, issuedAt: Date.parse(statement.issuedAt), acceptedAt: now,
          auditDetail: { keyLine: approver.line, reason: statement.reason, fastTrack, required, approvedBy } },
        transition,
      );
      return { decision, transition: transitioned ? transition : null, status: this.status(name, version)! };
    });
  }

  private transitionFor(record: VersionRecord, s: Statement, approvedBy: readonly string[], required: number, fastTrack: boolean, now: number): Transition | null {
    const base = { package: record.package, version: record.version, from: record.state, at: now };
    const bound = { integrity: record.integrity, findingsDigest: record.findingsDigest, maxSeverity: record.maxSeverity };
    if (s.decision === 'reject') {
      return { ...base, to: 'rejected', cause: 'rejected-signed', reason: `rejected by ${s.approver}${s.reason ? `: ${s.reason}` : ''}`, detail: { ...bound, approver: s.approver, nonce: s.nonce } };
    }
    if (approvedBy.length < required) return null;
    const severity = record.maxSeverity ?? 'no';
    return {
      ...base,
      to: 'approved',
      cause: fastTrack ? 'approved-fast-track' : 'approved',
      reason: `approved by ${approvedBy.join(', ')} (${approvedBy.length} of ${required} needed for ${severity} findings)${fastTrack ? ', fast-tracked before its cooldown ended' : ''}`,
      detail: { ...bound, approvedBy, required, fastTrack },
    };
  }

  /** The approvals of a version's current bytes and findings, or undefined when it was never seen. */
  status(name: string, version: string): ApprovalStatus | undefined {
    const record = this.deps.store.versionOf(name, version);
    return record && this.statusOf(record, this.deps.clock.now());
  }

  /** Every accepted decision about a version (including ones that no longer count), oldest first. */
  decisionsOf(name: string, version: string): StoredDecision[] {
    return this.deps.approvals.decisionsOf(name, version);
  }

  /** Versions waiting for time, analysis or people: quarantined (not yet visible) and held, by package and version. */
  queue(): ApprovalStatus[] {
    const now = this.deps.clock.now();
    const waiting = [...this.deps.store.versionsInState('held'), ...this.deps.store.versionsInState('quarantined')];
    return waiting
      .map((r) => this.statusOf(r, now))
      .filter((s) => !s.visible)
      .sort((a, b) => a.package.localeCompare(b.package) || a.version.localeCompare(b.version, 'en', { numeric: true }));
  }

  private statusOf(record: VersionRecord, now: number): ApprovalStatus {
    const d: VersionDecision = decide(record, this.deps.quarantine.ruleFor(record.package), now);
    const end = this.cooldownEnd(record);
    const fastTrack = now < end;
    const approvedBy = record.integrity && record.findingsDigest ? countingApprovers(this.deps.approvals.decisionsOf(record.package, record.version), this.deps.config.approvers, record.integrity, record.findingsDigest) : [];
    return {
      package: record.package, version: record.version, state: d.state, visible: d.visible, integrity: record.integrity, findingsDigest: record.findingsDigest,
      analysis: record.analysis, maxSeverity: record.maxSeverity, cooldownEndsAt: end, releaseAt: d.releaseAt, fastTrack,
      required: requiredApprovals(this.deps.config.quorum, record.maxSeverity, fastTrack), approvedBy, reason: d.reason,
    };
  }

  private visible(record: VersionRecord, now: number): boolean {
    return decide(record, this.deps.quarantine.ruleFor(record.package), now).visible;
  }

  private cooldownEnd(record: VersionRecord): number {
    return cooldownEndsAt(record, this.deps.quarantine.ruleFor(record.package));
  }
}
