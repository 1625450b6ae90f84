/**
 * Applies cascades: when a version is rejected by a signed decision or blocked because its bytes changed,
 * its publisher's siblings (see server/policy/cascade.ts) are held, each with a finding that names the
 * cause, and each hold is audited with the cause.
 */
import { compareFindings, findingsDigest, type Finding } from '../analyzer';
import { cascadeHolds, type CascadeCause, type CascadeSettings } from '../policy/cascade';
import { transition as checked } from '../policy/state-machine';
import type { Transition } from '../../storage';
import type { AnalysisPort, VersionPort } from '../../storage/ports';

/** The rule id of the finding a cascade adds. */
export const CASCADE_RULE = 'metadata/publisher-cascade';

export class CascadeService {
  constructor(
    private readonly store: Pick<VersionPort, 'versionsByPublisher'>,
    private readonly analyses: Pick<AnalysisPort, 'analysisOf' | 'addFinding'>,
    private readonly settings: CascadeSettings | null,
  ) {}

  /** Holds the siblings of `cause` at `now`; returns the holds that applied. Build it over the cause's transaction when there is one. */
  async from(cause: CascadeCause, now: number): Promise<Transition[]> {
    if (!this.settings || !cause.publisher || cause.publishedAt === null) return [];
    const candidates = await this.store.versionsByPublisher(
      cause.publisher,
      cause.publishedAt - this.settings.windowMs,
      cause.publishedAt + this.settings.windowMs,
    );
    const applied: Transition[] = [];
    for (const hold of cascadeHolds(cause, candidates, this.settings, now)) {
      const { record } = hold;
      const finding: Finding = {
        category: 'metadata',
        rule: CASCADE_RULE,
        severity: 'high',
        message: `${hold.reason}. A person must review it.`,
        evidence: `${cause.package}@${cause.version}`,
      };
      const analysis = record.integrity ? await this.analyses.analysisOf(record.package, record.version, record.integrity) : undefined;
      let merged = null;
      if (analysis) {
        const findings = [...(analysis.findings as Finding[]).filter((f) => f.rule !== CASCADE_RULE), finding].sort(compareFindings);
        merged = { findings, digest: findingsDigest(findings), maxSeverity: findings[0]!.severity };
      }
      const transition: Transition = checked({
        package: record.package,
        version: record.version,
        from: record.state,
        to: 'held',
        reason: hold.reason,
        cause: 'cascade-held',
        at: now,
        event: 'cascaded',
        detail: {
          causedBy: { package: cause.package, version: cause.version, auditId: cause.auditId, what: cause.what },
          publisher: cause.publisher,
        },
      });
      if (await this.analyses.addFinding(transition, record.integrity ?? '', finding, merged)) applied.push(transition);
    }
    return applied;
  }
}
