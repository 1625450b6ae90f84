/**
 * The approval service: hands out statements to sign, accepts signed decisions (checks, quorum,
 * fast-track, state change — atomically), and answers what is waiting and who has approved what.
 */
import type { CordonConfig } from '../config';
import type { Clock } from '../clock';
import { cooldownEndsAt, decide } from '../policy/lifecycle';
import { transition as checked } from '../policy/state-machine';
import type { VersionDecision, VersionRecord, VersionState } from '../policy/version-state';
import type { Approver } from '../config';
import type { DecisionMethod, StoredDecision, Transition } from '../../storage';
import type { Store, StorePorts } from '../../storage/ports';
import type { QuarantineService } from '../quarantine/quarantine-service';
import { ApprovalError } from './errors';
import { CascadeService } from '../quarantine/cascade-service';
import type { CascadeSettings } from '../policy/cascade';
import type { WithdrawalSettings } from '../policy/withdrawal';
import { countingApprovers, requiredApprovals } from './quorum';
import { canonicalStatement, MAX_REASON, newNonce, parseStatement, STATEMENT_TYPE, type Decision, type Statement } from './statement';
import { approverForKey, assertDecidable, authenticateSsh, checkStatement, decisionDigest } from './verify-decision';
import { WithdrawalWatch } from '../quarantine/withdrawal-watch';

export interface ApprovalDeps {
  readonly config: Pick<CordonConfig, 'approvers' | 'quorum'>;
  /** The id statements name. */
  readonly mirrorId: string;
  readonly clock: Clock;
  /** Reads outside decisions; a decision runs in `atomically`, reading and writing only through its transaction. */
  readonly store: Pick<Store, 'atomically'> & Pick<StorePorts, 'versions' | 'approvals' | 'withdrawals'>;
  readonly quarantine: Pick<QuarantineService, 'ruleFor'>;
  /** How a rejected version's siblings are held (absent or null: no cascade). */
  readonly cascade?: CascadeSettings | null;
  /** How withdrawals are confirmed: blocks for them a signed approval clears (absent: none are). */
  readonly withdrawals?: WithdrawalSettings;
}

/** What a decision works with: every collaborator built over the decision's transaction. */
interface InTransaction {
  readonly tx: StorePorts;
  readonly cascade: CascadeService | null;
  readonly withdrawals: WithdrawalWatch | null;
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
  readonly publishedAt: number | null;
  readonly firstSeenAt: number;
  /** Last change of the version's row (the hold, the decision). */
  readonly updatedAt: number;
  /** An `approval: always` rule covers the package: time alone never releases it. */
  readonly approvalAlways: boolean;
}

/**
 * A signer established before the decision's transaction (a passkey assertion is verified
 * asynchronously, so outside it): who, how, and the signature and evidence to keep.
 */
export interface EstablishedSigner {
  readonly approver: Approver;
  readonly method: DecisionMethod;
  readonly signature: string;
  readonly evidence: Readonly<Record<string, unknown>> | null;
  /** Inside the transaction (through `tx`), before any check: throws ApprovalError when what established the signer changed since. */
  readonly recheck: (tx: StorePorts) => Promise<void>;
  /** Inside the transaction (through `tx`), once the decision is kept. */
  readonly recorded: (tx: StorePorts, at: number) => Promise<void>;
}

/** Which waiting versions a page of the queue holds. */
export interface QueueQuery {
  readonly limit: number;
  /** The `next` cursor of the previous page. */
  readonly after?: string | null;
  /** '' (all), 'held', 'quarantined', or 'approval' (under approval: always). */
  readonly state?: string;
  /** Substring of the package name. */
  readonly package?: string;
}

/** One page of the queue: its versions, how many wait in all, and the cursor of the next page (null: last). */
export interface QueuePage {
  readonly versions: ApprovalStatus[];
  readonly total: number;
  readonly next: string | null;
}

/** Queues the analysis of a version again (after a withdrawal block that stopped it is cleared), inside the decision. */
async function requeue(tx: StorePorts, name: string, version: string, at: number, note: string): Promise<void> {
  const job = await tx.jobs.latestFor(name, version);
  if (job && (job.status === 'failed' || job.status === 'done')) await tx.jobs.requeue(job.id, at, note);
}

/** The nonce a statement text names, read before the statement is checked (the check then refuses anything malformed). */
function nonceOf(text: string): string | null {
  try {
    return parseStatement(text).nonce;
  } catch {
    return null;
  }
}

const collator = new Intl.Collator('en', { numeric: true });
const byPackageVersion = (a: { package: string; version: string }, b: { package: string; version: string }): number =>
  a.package < b.package ? -1 : a.package > b.package ? 1 : collator.compare(a.version, b.version);

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
  async statementFor(
    name: string,
    version: string,
    decision: Decision,
    reason: string,
    publicKey: string,
  ): Promise<{ statement: Statement; text: string }> {
    const approver = approverForKey(this.deps.config.approvers, Buffer.from(publicKey, 'base64'));
    if (!approver)
      throw new ApprovalError(
        'UNKNOWN_SIGNER',
        'This key is not an approver of this mirror (or has been removed). Add its public key under approvers in cordon.yaml, or use the key that is listed.',
      );
    return this.statementAs(approver, name, version, decision, reason);
  }

  /** The statement `approver` is to sign (a passkey names its approver, not a key). */
  async statementAs(
    approver: Approver,
    name: string,
    version: string,
    decision: Decision,
    reason: string,
  ): Promise<{ statement: Statement; text: string }> {
    if (reason.length > MAX_REASON)
      throw new ApprovalError('BAD_REQUEST', `The reason is longer than ${MAX_REASON} characters; shorten it.`);
    const now = this.deps.clock.now();
    const record = await this.deps.store.versions.versionOf(name, version);
    const target = { package: name, version };
    assertDecidable(target, record, record ? this.visible(record, now) : false, {
      withdrawalBlock: await this.withdrawalBlock(this.outside(), record),
      decision,
    });
    const statement: Statement = {
      type: STATEMENT_TYPE,
      mirrorId: this.mirrorId,
      package: name,
      version,
      integrity: record.integrity,
      findingsDigest: decisionDigest(record),
      decision,
      reason,
      approver: approver.name,
      issuedAt: new Date(now).toISOString(),
      nonce: newNonce(),
    };
    return { statement, text: canonicalStatement(statement) };
  }

  /** Checks and accepts an SSH-signed decision; throws ApprovalError (and changes nothing) when refused. */
  async submit(name: string, version: string, statementText: string, signature: string): Promise<DecisionOutcome> {
    // Who signed, and whether they did, before anything in the statement is believed.
    const { approver } = authenticateSsh(statementText, signature, this.deps.config.approvers);
    return this.submitSigned(name, version, statementText, {
      approver,
      method: 'ssh',
      signature,
      evidence: null,
      recheck: async () => undefined,
      recorded: async () => undefined,
    });
  }

  /**
   * Checks and accepts a decision whose signer is established (SSH above, or a passkey): every refusal,
   * the quorum and the audit are the same whichever way it was signed. Atomic; refused changes nothing.
   */
  async submitSigned(name: string, version: string, statementText: string, signer: EstablishedSigner): Promise<DecisionOutcome> {
    const { clock, config } = this.deps;
    return this.deps.store.atomically(async (tx) => {
      // Everything the decision reads and writes goes through `tx`: nothing it read can change before it writes.
      const within = this.within(tx);
      await signer.recheck(tx);
      const now = clock.now();
      const record = await tx.versions.versionOf(name, version);
      const previous = record ? await tx.approvals.decisionsOf(name, version) : [];
      const { approver } = signer;
      const withdrawalBlock = await this.withdrawalBlock(within, record);
      const nonce = nonceOf(statementText);
      const nonceUsed = nonce !== null && (await tx.approvals.nonceUsed(nonce));
      const statement = checkStatement(statementText, approver, {
        mirrorId: this.mirrorId,
        target: { package: name, version },
        record,
        visible: record ? this.visible(record, now) : false,
        approvers: config.approvers,
        now,
        withdrawalBlock,
        nonceUsed: (n) => (n === nonce ? nonceUsed : true),
        // One approver counts once whichever way they sign: a passkey decision carries the approver's SSH key too.
        alreadySigned: (who, decision) =>
          previous.some(
            (d) =>
              d.approver === who &&
              d.decision === decision &&
              d.publicKey === approver.publicKey &&
              d.integrity === record?.integrity &&
              d.findingsDigest === (record ? decisionDigest(record) : null),
          ),
      });
      const current = record!;
      const fastTrack = now < this.cooldownEnd(current);
      const required = requiredApprovals(config.quorum, current.maxSeverity, fastTrack);
      const accepted = {
        package: name,
        version,
        integrity: statement.integrity,
        findingsDigest: statement.findingsDigest,
        decision: statement.decision,
        approver: approver.name,
        publicKey: approver.publicKey,
      };
      const approvedBy = countingApprovers([...previous, accepted], config.approvers, current.integrity!, decisionDigest(current));
      const transition = withdrawalBlock
        ? this.clearingTransition(current, statement, approvedBy, required, fastTrack, now)
        : this.transitionFor(current, statement, approvedBy, required, fastTrack, now);
      const { decision, transitioned } = await tx.approvals.accept(
        {
          ...accepted,
          statement: statementText,
          signature: signer.signature,
          method: signer.method,
          evidence: signer.evidence,
          nonce: statement.nonce,
          issuedAt: Date.parse(statement.issuedAt),
          acceptedAt: now,
          auditDetail: { keyLine: approver.line, reason: statement.reason, fastTrack, required, approvedBy },
        },
        transition,
      );
      await signer.recorded(tx, now);
      if (transitioned && transition?.to === 'rejected') {
        // A rejection is a confirmed bad version: its publisher's siblings around it wait for a person too.
        await within.cascade?.from(
          {
            package: name,
            version,
            publisher: current.publisher,
            publishedAt: current.publishedAt,
            what: `rejected by ${approver.name}${statement.reason ? ` (${statement.reason})` : ''}`,
            auditId: decision.auditId,
          },
          now,
        );
      }
      if (withdrawalBlock && transitioned && statement.decision === 'approve') {
        // The same absence must not block it again; an analysis the block stopped runs again.
        await within.withdrawals?.clear(name, version, now, approver.name);
        if (current.analysis === 'pending') await requeue(tx, name, version, now, `withdrawal block cleared by ${approver.name}`);
      }
      const after = await tx.versions.versionOf(name, version);
      return { decision, transition: transitioned ? transition : null, status: await this.statusOf(tx, after!, clock.now()) };
    });
  }

  /** The collaborators of a decision, over its transaction. */
  private within(tx: StorePorts): InTransaction {
    return {
      tx,
      cascade: this.deps.cascade ? new CascadeService(tx.versions, tx.analyses, this.deps.cascade) : null,
      withdrawals: this.deps.withdrawals ? new WithdrawalWatch(tx.withdrawals, this.deps.withdrawals) : null,
    };
  }

  /** Reads outside any decision (statements, status). */
  private outside(): Pick<InTransaction, 'withdrawals'> {
    return { withdrawals: this.deps.withdrawals ? new WithdrawalWatch(this.deps.store.withdrawals, this.deps.withdrawals) : null };
  }

  /** True when `record` is blocked because upstream withdrew it (confirmed), which a signed approval may clear. */
  private async withdrawalBlock(ports: Pick<InTransaction, 'withdrawals'>, record: VersionRecord | undefined): Promise<boolean> {
    if (record?.state !== 'blocked' || !ports.withdrawals) return false;
    return ports.withdrawals.blockedByWithdrawal(record.package, record.version);
  }

  /**
   * A decision on a version blocked by a confirmed withdrawal. A rejection rejects it; an approval
   * clears the block, putting the version back where it was (quarantined, or held when its analysis
   * flagged it), or approves it when it waited for approvals anyway and this one completes the quorum.
   * A clearing never releases anything by itself: time and a clean analysis, or approvals, still do.
   */
  private clearingTransition(
    record: VersionRecord,
    s: Statement,
    approvedBy: readonly string[],
    required: number,
    fastTrack: boolean,
    now: number,
  ): Transition {
    const needsPeople =
      record.analysis === 'flagged' || record.analysis === 'failed' || this.deps.quarantine.ruleFor(record.package).approvalAlways;
    if (s.decision === 'reject' || (needsPeople && record.findingsDigest !== null && approvedBy.length >= required)) {
      const t = this.transitionFor(record, s, approvedBy, required, fastTrack, now)!;
      return checked({ ...t, detail: { ...t.detail, clearedWithdrawal: true } });
    }
    const to = record.analysis === 'flagged' || record.analysis === 'failed' ? 'held' : 'quarantined';
    return checked({
      package: record.package,
      version: record.version,
      from: 'blocked',
      to,
      at: now,
      cause: 'withdrawal-cleared',
      reason: `withdrawal block cleared by ${s.approver}${s.reason ? `: ${s.reason}` : ''}; it waits ${to === 'held' ? 'for approvals' : 'for its cooldown and a clean analysis'} again`,
      detail: { approver: s.approver, nonce: s.nonce, integrity: record.integrity, findingsDigest: decisionDigest(record) },
    });
  }

  private transitionFor(
    record: VersionRecord,
    s: Statement,
    approvedBy: readonly string[],
    required: number,
    fastTrack: boolean,
    now: number,
  ): Transition | null {
    const base = { package: record.package, version: record.version, from: record.state, at: now };
    const bound = { integrity: record.integrity, findingsDigest: record.findingsDigest, maxSeverity: record.maxSeverity };
    if (s.decision === 'reject') {
      return checked({
        ...base,
        to: 'rejected',
        cause: 'rejected-signed',
        reason: `rejected by ${s.approver}${s.reason ? `: ${s.reason}` : ''}`,
        detail: { ...bound, approver: s.approver, nonce: s.nonce },
      });
    }
    if (approvedBy.length < required) return null;
    const severity = record.maxSeverity ?? 'no';
    return checked({
      ...base,
      to: 'approved',
      cause: fastTrack ? 'approved-fast-track' : 'approved',
      reason: `approved by ${approvedBy.join(', ')} (${approvedBy.length} of ${required} needed for ${severity} findings)${fastTrack ? ', fast-tracked before its cooldown ended' : ''}`,
      detail: { ...bound, approvedBy, required, fastTrack },
    });
  }

  /** The approvals of a version's current bytes and findings, or undefined when it was never seen. */
  async status(name: string, version: string): Promise<ApprovalStatus | undefined> {
    const record = await this.deps.store.versions.versionOf(name, version);
    return record && this.statusOf(this.deps.store, record, this.deps.clock.now());
  }

  /** Every accepted decision about a version (including ones that no longer count), oldest first. */
  decisionsOf(name: string, version: string): Promise<StoredDecision[]> {
    return this.deps.store.approvals.decisionsOf(name, version);
  }

  /** Versions recently in `states` (decided, blocked), newest change first. */
  async recent(states: readonly VersionState[], limit: number): Promise<ApprovalStatus[]> {
    const now = this.deps.clock.now();
    const records = await this.deps.store.versions.recentInStates(states, limit);
    return Promise.all(records.map((r) => this.statusOf(this.deps.store, r, now)));
  }

  /** Versions waiting for time, analysis or people: quarantined (not yet visible) and held, by package and version. */
  async queue(): Promise<ApprovalStatus[]> {
    return (await this.queuePage({ limit: Number.POSITIVE_INFINITY })).versions;
  }

  /**
   * One page of the waiting versions, in the order of `queue()`, after the cursor `after` (`name@version`,
   * the `next` of the page before). Filtering and ordering read only the version rows; the approvals and
   * findings of a version are read for the versions of the page alone, so a queue of 20,000 costs a page.
   */
  async queuePage(query: QueueQuery): Promise<QueuePage> {
    const now = this.deps.clock.now();
    const needle = (query.package ?? '').toLowerCase();
    const [held, quarantined] = await Promise.all([
      this.deps.store.versions.versionsInState('held'),
      this.deps.store.versions.versionsInState('quarantined'),
    ]);
    const waiting = [...held, ...quarantined].filter((r) => {
      const rule = this.deps.quarantine.ruleFor(r.package);
      const d = decide(r, rule, now);
      if (d.visible || (needle && !r.package.toLowerCase().includes(needle))) return false;
      return !query.state || (query.state === 'approval' ? rule.approvalAlways : d.state === query.state);
    });
    waiting.sort(byPackageVersion);
    let start = 0;
    if (query.after) {
      const at = query.after.lastIndexOf('@');
      const cursor = { package: query.after.slice(0, at), version: query.after.slice(at + 1) };
      start = waiting.findIndex((r) => byPackageVersion(r, cursor) > 0);
      if (start < 0) start = waiting.length;
    }
    const page = waiting.slice(start, start + query.limit);
    const last = page[page.length - 1];
    const versions = await Promise.all(page.map((r) => this.statusOf(this.deps.store, r, now)));
    return {
      versions,
      total: waiting.length,
      next: last && start + page.length < waiting.length ? `${last.package}@${last.version}` : null,
    };
  }

  private async statusOf(ports: Pick<StorePorts, 'approvals'>, record: VersionRecord, now: number): Promise<ApprovalStatus> {
    const d: VersionDecision = decide(record, this.deps.quarantine.ruleFor(record.package), now);
    const end = this.cooldownEnd(record);
    const fastTrack = now < end;
    const approvedBy =
      record.integrity && record.findingsDigest
        ? countingApprovers(
            await ports.approvals.decisionsOf(record.package, record.version),
            this.deps.config.approvers,
            record.integrity,
            record.findingsDigest,
          )
        : [];
    return {
      package: record.package,
      version: record.version,
      state: d.state,
      visible: d.visible,
      integrity: record.integrity,
      findingsDigest: record.findingsDigest,
      analysis: record.analysis,
      maxSeverity: record.maxSeverity,
      cooldownEndsAt: end,
      releaseAt: d.releaseAt,
      fastTrack,
      required: requiredApprovals(this.deps.config.quorum, record.maxSeverity, fastTrack),
      approvedBy,
      reason: d.reason,
      publishedAt: record.publishedAt,
      firstSeenAt: record.firstSeenAt,
      updatedAt: record.updatedAt,
      approvalAlways: this.deps.quarantine.ruleFor(record.package).approvalAlways,
    };
  }

  private visible(record: VersionRecord, now: number): boolean {
    return decide(record, this.deps.quarantine.ruleFor(record.package), now).visible;
  }

  private cooldownEnd(record: VersionRecord): number {
    return cooldownEndsAt(record, this.deps.quarantine.ruleFor(record.package));
  }
}
