/** What the review pages read, assembled from the stores: the enriched queue, recent decisions, one version's review. */
import type { Approver, CordonConfig } from '../config';
import type { CordonRuntime } from '../assemble';
import type { ApprovalStatus } from '../approvals/approval-service';
import { ApprovalError } from '../approvals/errors';
import { severityRank, isSeverity } from '../analyzer';
import type { StoredFinding } from '../../storage';
import type { VersionState } from '../policy/version-state';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The configured approver called `name`, or UNKNOWN_SIGNER. */
export function approverNamed(config: Pick<CordonConfig, 'approvers'>, name: string): Approver {
  const approver = config.approvers.find((a) => a.name === name);
  if (!approver)
    throw new ApprovalError(
      'UNKNOWN_SIGNER',
      `${JSON.stringify(name)} is not an approver of this mirror (or has been removed from cordon.yaml).`,
    );
  return approver;
}

const rank = (f: StoredFinding): number => (isSeverity(f.severity) ? severityRank(f.severity) : 99);

/** Findings most severe first (an unknown severity counts as the worst). */
export function bySeverity(findings: readonly StoredFinding[]): StoredFinding[] {
  return [...findings].sort((a, b) => rank(b) - rank(a));
}

/** The queue filters the page offers. */
export interface QueueFilter {
  /** '' (all), 'held', 'quarantined', or 'approval' (under approval: always). */
  readonly state: string;
  /** Substring of the package name. */
  readonly package: string;
}

/** The waiting versions with what the queue shows besides their status. */
export async function enrichedQueue(
  runtime: QueueRuntime,
  filter: QueueFilter,
): Promise<Array<{ status: ApprovalStatus; extra: Record<string, unknown> }>> {
  return (await enrichedQueuePage(runtime, filter, Number.POSITIVE_INFINITY, null)).entries;
}

/** What the queue views read. */
export type QueueRuntime = Pick<CordonRuntime, 'approvals' | 'clock'> & { readonly store: Pick<CordonRuntime['store'], 'analyses'> };

/** One page of the waiting versions (see ApprovalService.queuePage), each with what the queue shows besides its status. */
export async function enrichedQueuePage(
  runtime: QueueRuntime,
  filter: QueueFilter,
  limit: number,
  after: string | null,
): Promise<{ entries: Array<{ status: ApprovalStatus; extra: Record<string, unknown> }>; total: number; next: string | null }> {
  const now = runtime.clock.now();
  const page = await runtime.approvals.queuePage({ limit, after, state: filter.state, package: filter.package });
  const entries = await Promise.all(
    page.versions.map(async (status) => {
      const analysis =
        status.integrity && status.analysis !== 'pending'
          ? await runtime.store.analyses.analysisOf(status.package, status.version, status.integrity)
          : undefined;
      const worst = analysis ? bySeverity(analysis.findings)[0] : undefined;
      return {
        status,
        extra: {
          publishedAt: iso(status.publishedAt),
          firstSeenAt: iso(status.firstSeenAt),
          updatedAt: iso(status.updatedAt),
          waitingMs: now - status.firstSeenAt,
          findings: analysis?.findings.length ?? null,
          worstFinding: worst
            ? { severity: worst.severity, rule: worst.rule, message: worst.message, file: worst.file ?? null, line: worst.line ?? null }
            : null,
        },
      };
    }),
  );
  return { entries, total: page.total, next: page.next };
}

/** States the "recently decided" and "blocked" views list. */
export const RECENT_VIEWS: Readonly<Record<string, readonly VersionState[]>> = { decided: ['approved', 'rejected'], blocked: ['blocked'] };
