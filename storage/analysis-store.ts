/** Analysis results: the findings of one version's bytes, and the outcome written onto its version row. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import type { AnalysisOutcome } from '../server/policy/version-state';
import { TransitionWriter, type Transition } from './transitions';
import { AuditLog, type AuditInput } from './audit-log';
import { toAnalysis, type AnalysisRow } from './rows';

export interface StoredFinding {
  readonly category: string;
  readonly rule: string;
  readonly severity: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly evidence?: string;
}

/** One finished analysis. */
export interface StoredAnalysis {
  readonly package: string;
  readonly version: string;
  readonly integrity: string;
  readonly previousVersion: string | null;
  readonly findings: readonly StoredFinding[];
  readonly digest: string;
  readonly maxSeverity: string | null;
  readonly analyzerVersion: string;
  readonly timings: Readonly<Record<string, number>>;
  readonly finishedAt: number;
}

/** The audit entry of a recorded analysis, on either backend. */
export function analysisAudit(analysis: StoredAnalysis, outcome: AnalysisOutcome): AuditInput {
  const { digest, maxSeverity, analyzerVersion } = analysis;
  return {
    at: analysis.finishedAt,
    package: analysis.package,
    version: analysis.version,
    fromState: null,
    toState: null,
    cause: 'analysis-finished',
    detail: { outcome, digest, maxSeverity, findings: analysis.findings.length, analyzerVersion },
  };
}

export class AnalysisStore {
  private readonly stmt: Record<string, Statement>;
  private readonly auditLog: AuditLog;
  private readonly transitions: TransitionWriter;

  constructor(private readonly db: Db) {
    this.auditLog = new AuditLog(db);
    this.transitions = new TransitionWriter(db, this.auditLog);
    this.stmt = {
      upsert: db.prepare(
        `INSERT OR REPLACE INTO analyses (package, version, integrity, previous_version, findings, digest, max_severity, analyzer_version, timings, finished_at)
         VALUES (@package, @version, @integrity, @previousVersion, @findings, @digest, @maxSeverity, @analyzerVersion, @timings, @finishedAt)`,
      ),
      get: db.prepare('SELECT * FROM analyses WHERE package = ? AND version = ? AND integrity = ?'),
      // Only a version not yet released or approved takes a result: a late or repeated job cannot rewrite
      // the findings an approval was bound to, nor the outcome that released a version.
      outcome: db.prepare(
        "UPDATE versions SET analysis = ?, max_severity = ?, findings_digest = ?, updated_at = ? WHERE package = ? AND version = ? AND integrity = ? AND state IN ('quarantined', 'held')",
      ),
      addFinding: db.prepare(
        'INSERT OR REPLACE INTO added_findings (package, version, integrity, rule, finding, added_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      addedFindings: db.prepare('SELECT finding FROM added_findings WHERE package = ? AND version = ? AND integrity = ? ORDER BY rule'),
      mergeFindings: db.prepare(
        'UPDATE analyses SET findings = ?, digest = ?, max_severity = ? WHERE package = ? AND version = ? AND integrity = ?',
      ),
      versionDigest: db.prepare(
        'UPDATE versions SET findings_digest = ?, max_severity = ? WHERE package = ? AND version = ? AND integrity = ?',
      ),
    };
  }

  /** Findings the mirror added to these bytes beyond their analysis (a cascade), oldest rule first. */
  addedFindings(name: string, version: string, integrity: string): StoredFinding[] {
    return (this.stmt.addedFindings!.all(name, version, integrity) as Array<{ finding: string }>).map(
      (r) => JSON.parse(r.finding) as StoredFinding,
    );
  }

  /**
   * Adds a finding the mirror found beyond the analysis (kept for later analyses of the same bytes),
   * merges it into the stored analysis and the version's digest when `merged` gives them, and applies
   * `transition` — one transaction. True when the transition applied.
   */
  addFinding(
    transition: Transition,
    integrity: string,
    finding: StoredFinding & { rule: string },
    merged: { findings: readonly StoredFinding[]; digest: string; maxSeverity: string | null } | null,
  ): boolean {
    return this.db.transaction(() => {
      if (!this.transitions.apply(transition)) return false;
      this.stmt.addFinding!.run(transition.package, transition.version, integrity, finding.rule, JSON.stringify(finding), transition.at);
      if (merged) {
        this.stmt.mergeFindings!.run(
          JSON.stringify(merged.findings),
          merged.digest,
          merged.maxSeverity,
          transition.package,
          transition.version,
          integrity,
        );
        this.stmt.versionDigest!.run(merged.digest, merged.maxSeverity, transition.package, transition.version, integrity);
      }
      return true;
    })();
  }

  /** The analysis of one version's bytes, or undefined. */
  analysisOf(name: string, version: string, integrity: string): StoredAnalysis | undefined {
    const row = this.stmt.get!.get(name, version, integrity) as AnalysisRow | undefined;
    return row && toAnalysis(row);
  }

  /**
   * Stores an analysis, writes its outcome on the version row (only if the row still has the same
   * integrity and is not yet released or approved: stale or late results change nothing) and applies `transition`,
   * all in one transaction. Returns false when the version's bytes changed meanwhile.
   */
  record(analysis: StoredAnalysis, outcome: AnalysisOutcome, transition: Transition | null): boolean {
    return this.db.transaction(() => {
      const changed = this.stmt.outcome!.run(
        outcome,
        analysis.maxSeverity,
        analysis.digest,
        analysis.finishedAt,
        analysis.package,
        analysis.version,
        analysis.integrity,
      ).changes;
      if (changed === 0) return false;
      this.stmt.upsert!.run({ ...analysis, findings: JSON.stringify(analysis.findings), timings: JSON.stringify(analysis.timings) });
      this.auditLog.append(analysisAudit(analysis, outcome));
      if (transition) this.transitions.apply(transition);
      return true;
    })();
  }
}
