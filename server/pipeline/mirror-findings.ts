/**
 * Findings only the mirror can make, because they rest on what it has seen rather than on the bytes:
 * a package with nothing earlier to compare against, a publish burst across packages, and a version
 * that could not be analysed at all. The pipeline adds them (the first two when it prepares a job, the
 * last when an analysis fails for good); the result recorder only records them. Pure.
 */
import type { Finding } from '../analyzer';
import type { VersionRecord } from '../policy/version-state';
import type { AnalysisFailure } from './analysis-job';
import { burstFinding, type BurstSettings } from './burst';

/** The low finding of a version analysed against nothing: everything it can do counts as new. */
export function newPackageFinding(name: string): Finding {
  return {
    category: 'metadata',
    rule: 'metadata/new-package',
    severity: 'low',
    message: `no earlier version of ${name} is available here to compare against: everything this version can do counts as new.`,
  };
}

/**
 * What the mirror adds to the analysis of `record` compared with `previousVersion` (null: nothing):
 * the new-package finding, and a burst finding from the versions its publisher published around it
 * (`around`, read after the job's dependencies were sighted so a burst they belong to counts).
 */
export function preparedFindings(
  record: Pick<VersionRecord, 'package' | 'version' | 'publisher' | 'publishedAt'>,
  previousVersion: string | null,
  around: readonly VersionRecord[],
  burst: BurstSettings,
): Finding[] {
  const out: Finding[] = [];
  if (previousVersion === null) out.push(newPackageFinding(record.package));
  const b = burstFinding(record, around, burst);
  if (b) out.push(b);
  return out;
}

/** The high finding that holds a version whose analysis failed for good (not one that blocks it): a person decides. */
export function unanalysableFinding(failure: AnalysisFailure, attempts: number): Finding {
  switch (failure.code) {
    case 'TARBALL_TOO_LARGE':
      return {
        category: 'metadata',
        rule: 'pipeline/tarball-too-large',
        severity: 'high',
        message: `${failure.message}. Cordon did not analyse it; a person must decide whether a tarball this large belongs in this package.`,
      };
    case 'RESOURCE_LIMIT':
      return {
        category: 'metadata',
        rule: 'pipeline/resource-limit',
        severity: 'high',
        message: `${failure.message}. Cordon did not finish analysing it; a person must decide (or raise analysisMemory and let it run again).`,
      };
    default:
      return {
        category: 'metadata',
        rule: 'pipeline/unanalyzable',
        severity: 'high',
        message: `Cordon could not analyse this version after ${attempts} attempt(s) (${failure.code}: ${failure.message}); a person must decide.`,
      };
  }
}
