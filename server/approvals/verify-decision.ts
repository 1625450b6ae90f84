/**
 * Whether a signed decision may be accepted: pure checks of the signature, the signer and the statement
 * against the version as the mirror sees it now. Each refusal has its own code.
 */
import type { Approver } from '../config';
import type { VersionRecord } from '../policy/version-state';
import { ApprovalError } from './errors';
import { formatDuration } from '../config/duration';
import { parseSignature, verifySignature, type SshSignature } from './sshsig';
import { parseStatement, type Decision, type Statement } from './statement';

/** How long a signed statement stays usable. */
export const STATEMENT_TTL_MS = 10 * 60_000;
/** A statement may claim a time this far ahead of the mirror's clock (clocks of two machines differ a little). */
export const CLOCK_SKEW_MS = 60_000;

/** What the mirror knows at the moment it checks a decision. */
export interface DecisionContext {
  readonly mirrorId: string;
  /** The version named by the request URL. */
  readonly target: { readonly package: string; readonly version: string };
  readonly record: VersionRecord | undefined;
  /** The policy already lets installs have this version (released, or its cooldown ended clean). */
  readonly visible: boolean;
  readonly approvers: readonly Approver[];
  readonly now: number;
  readonly nonceUsed: (nonce: string) => boolean;
  /** This approver already made this decision about these bytes and findings. */
  readonly alreadySigned: (approver: string, decision: Decision) => boolean;
  /** The version is blocked because upstream withdrew it (confirmed): a signed decision may clear that. */
  readonly withdrawalBlock?: boolean;
}

/**
 * The findings digest a statement names for a version never analysed (a withdrawal block can stop a
 * version before its analysis): no analysis will ever have it, so such a decision never counts as an approval.
 */
export const UNANALYSED_DIGEST = 'unanalysed';

/** The findings digest a decision about `record` is bound to. */
export function decisionDigest(record: Pick<VersionRecord, 'findingsDigest'>): string {
  return record.findingsDigest ?? UNANALYSED_DIGEST;
}

/** A decision that passed every check. */
export interface VerifiedDecision {
  readonly statement: Statement;
  readonly approver: Approver;
  readonly signature: SshSignature;
}

/** The approver whose configured key is `blob`, if any. */
export function approverForKey(approvers: readonly Approver[], blob: Buffer): Approver | undefined {
  return approvers.find((a) => Buffer.from(a.publicKey, 'base64').equals(blob));
}

/**
 * Throws unless a decision about `record` can be made now: it exists, is hidden and waiting, and its
 * analysis finished; or it is blocked by a confirmed withdrawal (`withdrawalBlock`), which an approval
 * clears — a rejection of such a version needs its analysis, since there is nothing else to reject.
 */
export function assertDecidable(
  target: { package: string; version: string },
  record: VersionRecord | undefined,
  visible: boolean,
  options: { readonly withdrawalBlock?: boolean; readonly decision?: Decision } = {},
): asserts record is VersionRecord & { integrity: string } {
  const spec = `${target.package}@${target.version}`;
  if (!record)
    throw new ApprovalError(
      'UNKNOWN_VERSION',
      `Cordon has never seen ${spec}. Check the name and version, or request it once through the mirror (npm view ${spec}).`,
    );
  if (options.withdrawalBlock && record.state === 'blocked' && record.integrity !== null) {
    if (options.decision === 'reject' && record.findingsDigest === null) {
      throw new ApprovalError(
        'NOT_DECIDABLE',
        `${spec} is blocked because upstream withdrew it, and it was never analysed: there is nothing to reject, and it stays blocked. Approve it only to clear the withdrawal block if upstream does have it.`,
      );
    }
    return;
  }
  if ((record.state !== 'quarantined' && record.state !== 'held') || visible) {
    const state = visible && record.state === 'quarantined' ? 'released' : record.state;
    throw new ApprovalError(
      'NOT_DECIDABLE',
      `${spec} is ${state}; only quarantined or held versions can be approved or rejected. See its state with "cordon queue".`,
    );
  }
  if (record.integrity === null)
    throw new ApprovalError(
      'NOT_DECIDABLE',
      `${spec} has no tarball integrity from upstream, so no decision can be bound to its bytes; it stays hidden.`,
    );
  if (record.analysis === 'pending' || record.analysis === null || record.findingsDigest === null) {
    throw new ApprovalError(
      'ANALYSIS_PENDING',
      `The analysis of ${spec} has not finished, so there are no findings to review yet. Try again in a few minutes.`,
    );
  }
}

/** Checks an SSH-signed decision; returns it verified or throws ApprovalError with the first reason to refuse it. */
export function verifyDecision(statementText: string, armoredSignature: string, ctx: DecisionContext): VerifiedDecision {
  const { approver, signature } = authenticateSsh(statementText, armoredSignature, ctx.approvers);
  return { statement: checkStatement(statementText, approver, ctx), approver, signature };
}

/** Who signed with SSH, and whether they did, before anything in the statement is believed. */
export function authenticateSsh(
  statementText: string,
  armoredSignature: string,
  approvers: readonly Approver[],
): { approver: Approver; signature: SshSignature } {
  const signature = parseSignature(armoredSignature);
  const approver = approverForKey(approvers, signature.publicKeyBlob);
  if (!approver)
    throw new ApprovalError(
      'UNKNOWN_SIGNER',
      'The key that signed this decision is not an approver of this mirror (or has been removed). Sign with the key listed under approvers in cordon.yaml.',
    );
  if (!verifySignature(signature, Buffer.from(statementText, 'utf8'))) {
    throw new ApprovalError(
      'BAD_SIGNATURE',
      'The signature does not match the statement (or was made for another namespace than cordon-approval, with another hash than sha512, or without touching the hardware key). Sign the statement again, unchanged.',
    );
  }
  return { approver, signature };
}

/**
 * The checks every decision gets once its signer is established, whichever way it was signed (SSH or
 * passkey): the statement against the signer, the mirror, the version as it is now, time and replay.
 */
export function checkStatement(statementText: string, approver: Approver, ctx: DecisionContext): Statement {
  const statement = parseStatement(statementText);
  if (statement.approver !== approver.name)
    throw new ApprovalError(
      'APPROVER_MISMATCH',
      `The statement names approver "${statement.approver}" but was signed with the key of "${approver.name}". Fetch a statement for your own key.`,
    );
  if (statement.mirrorId !== ctx.mirrorId)
    throw new ApprovalError(
      'WRONG_MIRROR',
      `The statement was made for mirror "${statement.mirrorId}", not this one ("${ctx.mirrorId}"). Fetch the statement from this mirror.`,
    );
  if (statement.package !== ctx.target.package)
    throw new ApprovalError(
      'WRONG_PACKAGE',
      `The statement is about package ${statement.package}, not ${ctx.target.package}. Post it to the URL of the version it names.`,
    );
  if (statement.version !== ctx.target.version)
    throw new ApprovalError(
      'WRONG_VERSION',
      `The statement is about version ${statement.version}, not ${ctx.target.version}. Post it to the URL of the version it names.`,
    );

  const issued = Date.parse(statement.issuedAt);
  if (ctx.now - issued > STATEMENT_TTL_MS)
    throw new ApprovalError(
      'STATEMENT_EXPIRED',
      `The statement was issued at ${statement.issuedAt}, more than ${formatDuration(STATEMENT_TTL_MS)} ago. Fetch a fresh statement and sign it again.`,
    );
  if (issued - ctx.now > CLOCK_SKEW_MS)
    throw new ApprovalError(
      'STATEMENT_FROM_FUTURE',
      `The statement claims to be issued at ${statement.issuedAt}, later than the mirror's clock (${new Date(ctx.now).toISOString()}). Fetch the statement from the mirror instead of writing it by hand.`,
    );
  if (ctx.nonceUsed(statement.nonce))
    throw new ApprovalError(
      'NONCE_REUSED',
      'This statement (its nonce) has already been used for a decision. Fetch a fresh statement; a signed decision cannot be replayed.',
    );

  assertDecidable(ctx.target, ctx.record, ctx.visible, { withdrawalBlock: ctx.withdrawalBlock, decision: statement.decision });
  const record = ctx.record;
  if (statement.integrity !== record.integrity)
    throw new ApprovalError(
      'WRONG_INTEGRITY',
      `The statement approves tarball ${statement.integrity}, but the mirror now has ${record.integrity} for ${statement.package}@${statement.version}. Review the new bytes ("cordon show") and sign again.`,
    );
  if (statement.findingsDigest !== decisionDigest(record))
    throw new ApprovalError(
      'DIGEST_CHANGED',
      `The analysis changed since this statement was made (findings digest ${decisionDigest(record)}, statement ${statement.findingsDigest}): review again with "cordon show" and sign a new statement.`,
    );
  if (ctx.alreadySigned(approver.name, statement.decision)) {
    throw new ApprovalError(
      'ALREADY_SIGNED',
      `${approver.name} has already signed "${statement.decision}" for these exact bytes and findings; one approver counts once, whichever way they sign. Ask another approver.`,
    );
  }
  return statement;
}
