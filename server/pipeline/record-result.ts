/** Writes what a runner learned about a version: findings and outcome, and the state they lead to. */
import { compareFindings, findingsDigest, severityAtLeast, ANALYZER_VERSION, type Finding, type Severity } from '../analyzer';
import type { CordonRuntime } from '../assemble';
import type { Logger } from '../logger';
import type { Transition } from '../../storage';
import { questionMismatch, type AnalysisFailure, type AnalysisJobData, type AnalysisOutput } from './analysis-job';
import { unanalysableFinding } from './mirror-findings';
import { nextAttemptAt } from './retry-policy';
import { WithdrawalWatch } from '../quarantine/withdrawal-watch';
import { transition as checked } from '../policy/state-machine';

/** The job a result or failure belongs to, as the mirror's outbox knows it. */
export interface JobRef {
  readonly id: string;
  readonly package: string;
  readonly version: string;
  readonly integrity: string;
  readonly previousVersion: string | null;
}

/** A job whose attempt failed: the outbox row's retry bookkeeping. */
export interface FailedJobRef extends JobRef {
  /** Attempts made, the failed one included. */
  readonly attempts: number;
  /** When its current run of failures began (null: this is the first). */
  readonly failingSince: number | null;
}

/** What became of a result: recorded, stale (the version moved on), or refused (it answers another question). */
export type RecordOutcome = 'recorded' | 'stale' | 'refused';

function describe(f: Finding): string {
  const where = f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : '';
  return `analysis found ${f.rule} [${f.severity}]: ${f.message}${where}`;
}

/** Failures that block a version, with the audit cause: changed bytes, a withdrawn version, an attestation that does not vouch for the bytes. */
const BLOCKING: Partial<Record<AnalysisFailure['code'], string>> = {
  INTEGRITY_MISMATCH: 'integrity-mismatch',
  VERSION_WITHDRAWN: 'withdrawn-upstream',
  PROVENANCE_INVALID: 'provenance-invalid',
};

/** What the recorder works with. */
export type RecorderRuntime = Pick<CordonRuntime, 'store' | 'clock' | 'config' | 'mirrorId' | 'ops' | 'quarantine'>;

export class ResultRecorder {
  constructor(
    private readonly runtime: RecorderRuntime,
    private readonly logger: Logger,
  ) {}

  /**
   * A finished analysis. Refused (and logged, never recorded) unless it answers exactly the question the
   * job asked; else records its findings (the mirror's own, new package and burst, came with them from
   * the prepared job) with any the mirror added to these bytes meanwhile, then holds or clears the version.
   */
  async succeeded(job: JobRef, data: AnalysisJobData, output: AnalysisOutput): Promise<RecordOutcome> {
    const { clock, config, mirrorId } = this.runtime;
    const { versions, analyses, jobs } = this.runtime.store;
    const now = clock.now();
    const asked = data.question;
    const wrong = [
      ...questionMismatch(asked, output?.question),
      ...(asked.mirrorId !== mirrorId ? ['mirrorId (the job is not this mirror’s)'] : []),
      ...(asked.package !== job.package || asked.version !== job.version || asked.integrity !== job.integrity ? ['job'] : []),
      ...(output?.analyzerVersion !== ANALYZER_VERSION
        ? [`analyzerVersion (${String(output?.analyzerVersion)}, this mirror runs ${ANALYZER_VERSION})`]
        : []),
    ];
    if (wrong.length) {
      this.logger.error(
        { package: job.package, version: job.version, job: job.id, differs: wrong },
        'cordon: refused an analysis result that answers another question',
      );
      this.runtime.ops.metrics.analyses.inc({ outcome: 'refused' });
      return 'refused';
    }
    const record = await versions.versionOf(job.package, job.version);
    if (!record || record.integrity !== job.integrity) {
      await jobs.finish(job.id, 'done', 'stale: the version changed while it was analysed', now);
      this.runtime.ops.metrics.analyses.inc({ outcome: 'stale' });
      return 'stale';
    }
    if (await this.conflictingBytes(job, output)) return 'recorded';
    // Findings the mirror added to these bytes meanwhile (a cascade from a sibling) stay.
    const findings: Finding[] = [
      ...output.findings,
      ...((await analyses.addedFindings(job.package, job.version, job.integrity)) as Finding[]),
    ];
    findings.sort(compareFindings);
    const worst: Severity | null = findings[0]?.severity ?? null;
    const flagged = worst !== null && severityAtLeast(worst, config.holdAt);
    const transition: Transition | null =
      flagged && record.state === 'quarantined'
        ? checked({
            package: job.package,
            version: job.version,
            from: 'quarantined',
            to: 'held',
            reason: describe(findings[0]!),
            cause: 'analysis-flagged',
            at: now,
            detail: { rule: findings[0]!.rule, severity: worst },
          })
        : null;
    await analyses.record(
      {
        package: job.package,
        version: job.version,
        integrity: job.integrity,
        previousVersion: output.previousVersion,
        findings,
        digest: findingsDigest(findings),
        maxSeverity: worst,
        analyzerVersion: output.analyzerVersion,
        timings: output.timings,
        finishedAt: now,
      },
      flagged ? 'flagged' : 'clean',
      transition,
    );
    await jobs.finish(job.id, 'done', null, now);
    const outcome = flagged ? 'flagged' : 'clean';
    this.runtime.ops.metrics.analyses.inc({ outcome });
    this.runtime.ops.metrics.analysisDuration.observe({ outcome }, output.timings.totalMs / 1000);
    // Its bytes were had: whatever answer lacked it before was a lag, not a withdrawal.
    await this.runtime.quarantine.withdrawals?.shown(job.package, (v) => v === job.version);
    this.logger.info(
      { package: job.package, version: job.version, findings: findings.length, maxSeverity: worst, held: flagged },
      'cordon: analysis finished',
    );
    return 'recorded';
  }

  /**
   * One failed attempt. A version upstream did not show is retried until repeated answers confirm the
   * withdrawal (then blocked), transient faults until they have lasted `analysisRetryFor`; everything
   * else, and a fault that outlasted its window, is recorded for good (`failed`). Returns when the job
   * runs again, or null when it was recorded.
   */
  async attemptFailed(job: FailedJobRef, failure: AnalysisFailure): Promise<number | null> {
    const { clock, config, quarantine } = this.runtime;
    const { jobs } = this.runtime.store;
    const now = clock.now();
    let effective = failure;
    if (failure.code === 'VERSION_WITHDRAWN' && quarantine.withdrawals) {
      const verdict = await quarantine.withdrawals.missing(job.package, job.version, now, failure.message);
      // A person said it exists: keep trying as for any transient fault, and after the window a person decides.
      if (verdict.cleared)
        effective = { code: 'TRANSIENT', message: `${failure.message} (its withdrawal block was cleared by a signed decision)` };
      else if (verdict.confirmed) {
        await this.failed(job, failure, job.attempts, WithdrawalWatch.detail(verdict.absence));
        return null;
      } else {
        await jobs.retry(
          job.id,
          verdict.askAgainAt,
          `${failure.code} (${verdict.absence.misses} of ${quarantine.withdrawals.settings.confirmations} answers without it; not yet confirmed): ${failure.message}`,
          now,
        );
        this.logger.warn(
          { package: job.package, version: job.version, misses: verdict.absence.misses },
          'cordon: upstream did not show a version; asking again before calling it withdrawn',
        );
        return verdict.askAgainAt;
      }
    }
    const at = nextAttemptAt({ attempts: job.attempts, failingSince: job.failingSince ?? now }, effective.code, now, {
      attempts: config.analysisAttempts,
      retryForMs: config.analysisRetryForMs,
      backoffMaxMs: config.analysisBackoffMaxMs,
    });
    if (at === null) {
      await this.failed(job, effective, job.attempts);
      return null;
    }
    await jobs.retry(job.id, at, `${effective.code}: ${effective.message}`, now);
    this.logger.warn(
      { package: job.package, version: job.version, attempt: job.attempts, err: effective.message },
      'cordon: analysis failed, will retry',
    );
    return at;
  }

  /**
   * For a version pinned to a weaker digest than sha512, the first verified bytes are kept as its
   * sha512; an analysis that read other bytes (which also matched the weak pin) blocks the version.
   */
  private async conflictingBytes(job: JobRef, output: AnalysisOutput): Promise<boolean> {
    const onRecord = await this.runtime.store.versions.recordBlob(job.package, job.version, job.integrity, output.blobs.next);
    if (onRecord === null || onRecord === output.blobs.next) return false;
    await this.failed(
      job,
      {
        code: 'INTEGRITY_MISMATCH',
        message: `the analysis read other bytes (${output.blobs.next}) than the ones verified before (${onRecord}) under the same pinned digest`,
      },
      1,
    );
    return true;
  }

  /**
   * A failure that will not go away: changed bytes, a withdrawn version or an invalid attestation block
   * it; a tarball too large to analyse, or one that cannot be read, holds it with a finding so a person decides.
   */
  async failed(job: JobRef, failure: AnalysisFailure, attempts: number, detail: Record<string, unknown> = {}): Promise<void> {
    const { clock, quarantine } = this.runtime;
    const { versions, analyses, jobs } = this.runtime.store;
    const now = clock.now();
    const record = await versions.versionOf(job.package, job.version);
    await jobs.finish(job.id, 'failed', `${failure.code}: ${failure.message}`, now);
    this.runtime.ops.metrics.analyses.inc({ outcome: 'failed' });
    if (!record || record.integrity !== job.integrity) return;
    const blockingCause = BLOCKING[failure.code];
    if (blockingCause) {
      if (record.state === 'blocked') return;
      // Bytes that contradict the pin block whatever the state; the others only what is not yet visible.
      if (failure.code === 'INTEGRITY_MISMATCH') {
        await quarantine.blockChangedBytes(job.package, job.version, now, failure.message);
      } else if (record.state !== 'released' && record.state !== 'approved') {
        await versions.transition(
          checked({
            package: job.package,
            version: job.version,
            from: record.state,
            to: 'blocked',
            reason: failure.message,
            cause: blockingCause,
            at: now,
            detail,
          }),
        );
      }
      return;
    }
    const finding = unanalysableFinding(failure, attempts);
    const transition: Transition | null =
      record.state === 'quarantined'
        ? checked({
            package: job.package,
            version: job.version,
            from: 'quarantined',
            to: 'held',
            reason: `could not be analysed (${failure.code}): ${failure.message}`,
            cause: 'analysis-failed',
            at: now,
          })
        : null;
    const findings = [finding, ...((await analyses.addedFindings(job.package, job.version, job.integrity)) as Finding[])].sort(
      compareFindings,
    );
    await analyses.record(
      {
        package: job.package,
        version: job.version,
        integrity: job.integrity,
        previousVersion: job.previousVersion,
        findings,
        digest: findingsDigest(findings),
        maxSeverity: findings[0]!.severity,
        analyzerVersion: ANALYZER_VERSION,
        timings: {},
        finishedAt: now,
      },
      'failed',
      transition,
    );
    this.logger.warn(
      { package: job.package, version: job.version, code: failure.code, attempts },
      'cordon: version held, it could not be analysed',
    );
  }
}
