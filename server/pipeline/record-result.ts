/** Writes what a runner learned about a version: findings and outcome, and the state they lead to. */
import { compareFindings, findingsDigest, severityAtLeast, ANALYZER_VERSION, type Finding, type Severity } from '../analyzer';
import type { CordonRuntime } from '../runtime';
import type { Logger } from '../logger';
import type { Transition } from '../../storage';
import type { AnalysisFailure, AnalysisJobData, AnalysisOutput } from './analysis-job';
import { burstFinding } from './burst';

function describe(f: Finding): string {
  const where = f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : '';
  return `analysis found ${f.rule} [${f.severity}]: ${f.message}${where}`;
}

export class ResultRecorder {
  constructor(
    private readonly runtime: CordonRuntime,
    private readonly logger: Logger,
  ) {}

  /** A finished analysis: adds what only the mirror knows (new package, bursts), then holds or clears the version. */
  succeeded(job: AnalysisJobData, output: AnalysisOutput): void {
    const { store, analyses, jobs, clock, config } = this.runtime;
    const now = clock.now();
    const record = store.versionOf(job.package, job.version);
    if (!record || record.integrity !== job.integrity) {
      jobs.finish(job.id, 'done', 'stale: the version changed while it was analysed', now);
      this.runtime.ops.metrics.analyses.inc({ outcome: 'stale' });
      return;
    }
    const findings: Finding[] = [...output.findings];
    if (output.previousVersion === null) {
      findings.push({ category: 'metadata', rule: 'metadata/new-package', severity: 'low', message: `no earlier version of ${job.package} is available here to compare against: everything this version can do counts as new.` });
    }
    if (record.publisher && record.publishedAt !== null) {
      const around = store.versionsByPublisher(record.publisher, record.publishedAt - config.burst.windowMs, record.publishedAt + config.burst.windowMs);
      const burst = burstFinding(record, around, config.burst);
      if (burst) findings.push(burst);
    }
    findings.sort(compareFindings);
    const worst: Severity | null = findings[0]?.severity ?? null;
    const flagged = worst !== null && severityAtLeast(worst, config.holdAt);
    const transition: Transition | null =
      flagged && record.state === 'quarantined'
        ? { package: job.package, version: job.version, from: 'quarantined', to: 'held', reason: describe(findings[0]!), cause: 'analysis-flagged', at: now, detail: { rule: findings[0]!.rule, severity: worst } }
        : null;
    analyses.record(
      { package: job.package, version: job.version, integrity: job.integrity, previousVersion: output.previousVersion, findings, digest: findingsDigest(findings), maxSeverity: worst, analyzerVersion: output.analyzerVersion, timings: output.timings, finishedAt: now },
      flagged ? 'flagged' : 'clean',
      transition,
    );
    jobs.finish(job.id, 'done', null, now);
    const outcome = flagged ? 'flagged' : 'clean';
    this.runtime.ops.metrics.analyses.inc({ outcome });
    this.runtime.ops.metrics.analysisDuration.observe({ outcome }, output.timings.totalMs / 1000);
    this.logger.info({ package: job.package, version: job.version, findings: findings.length, maxSeverity: worst, held: flagged }, 'cordon: analysis finished');
  }

  /**
   * A failure that will not go away: changed bytes or a withdrawn version block it; anything else
   * (unreadable tarball, retries used up) holds it with an `unanalyzable` finding so a person decides.
   */
  failed(job: AnalysisJobData, failure: AnalysisFailure, attempts: number): void {
    const { store, analyses, jobs, clock } = this.runtime;
    const now = clock.now();
    const record = store.versionOf(job.package, job.version);
    jobs.finish(job.id, 'failed', `${failure.code}: ${failure.message}`, now);
    this.runtime.ops.metrics.analyses.inc({ outcome: 'failed' });
    if (!record || record.integrity !== job.integrity) return;
    if (failure.code === 'INTEGRITY_MISMATCH' || failure.code === 'VERSION_WITHDRAWN') {
      if (record.state !== 'blocked' && record.state !== 'released' && record.state !== 'approved') {
        store.transition({ package: job.package, version: job.version, from: record.state, to: 'blocked', reason: failure.message, cause: failure.code === 'INTEGRITY_MISMATCH' ? 'integrity-mismatch' : 'withdrawn-upstream', at: now });
      }
      return;
    }
    const finding: Finding = {
      category: 'metadata',
      rule: 'pipeline/unanalyzable',
      severity: 'high',
      message: `Cordon could not analyse this version after ${attempts} attempt(s) (${failure.code}: ${failure.message}); a person must decide.`,
    };
    const transition: Transition | null =
      record.state === 'quarantined' ? { package: job.package, version: job.version, from: 'quarantined', to: 'held', reason: `could not be analysed (${failure.code}): ${failure.message}`, cause: 'analysis-failed', at: now } : null;
    analyses.record(
      { package: job.package, version: job.version, integrity: job.integrity, previousVersion: job.previousVersion, findings: [finding], digest: findingsDigest([finding]), maxSeverity: 'high', analyzerVersion: ANALYZER_VERSION, timings: {}, finishedAt: now },
      'failed',
      transition,
    );
    this.logger.warn({ package: job.package, version: job.version, code: failure.code, attempts }, 'cordon: version held, it could not be analysed');
  }
}
