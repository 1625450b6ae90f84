/** How many approvals a version needs, and whose approvals count: pure. */
import type { Approver, Quorum, QuorumSeverity } from '../config';
import { isSeverity } from '../analyzer/severity';

/** One accepted decision as the quorum sees it. */
export interface CountedDecision {
  readonly decision: 'approve' | 'reject';
  readonly approver: string;
  /** The signing key's wire blob, base64. */
  readonly publicKey: string;
  readonly integrity: string;
  readonly findingsDigest: string;
}

/**
 * Approvals needed for a version whose most severe finding is `maxSeverity` (null: no findings).
 * Before the cooldown ends (`fastTrack`) the fast-track quorum applies when it is higher.
 */
export function requiredApprovals(quorum: Quorum, maxSeverity: string | null, fastTrack: boolean): number {
  // A severity this code does not know counts as the worst.
  const key: QuorumSeverity | 'none' = maxSeverity === null ? 'none' : isSeverity(maxSeverity) ? maxSeverity : 'critical';
  const base = quorum.bySeverity[key];
  return fastTrack && quorum.fastTrack !== null ? Math.max(base, quorum.fastTrack) : base;
}

/**
 * The approvers whose approvals count for these bytes and findings: an approval counts once per
 * approver, only for the integrity and digest it signed, and only while that approver is still
 * configured with the key that signed it.
 */
export function countingApprovers(
  decisions: readonly CountedDecision[],
  approvers: readonly Approver[],
  integrity: string,
  findingsDigest: string,
): string[] {
  const keyOf = new Map(approvers.map((a) => [a.name, a.publicKey]));
  const names = new Set<string>();
  for (const d of decisions) {
    if (
      d.decision === 'approve' &&
      d.integrity === integrity &&
      d.findingsDigest === findingsDigest &&
      keyOf.get(d.approver) === d.publicKey
    )
      names.add(d.approver);
  }
  return [...names].sort();
}
