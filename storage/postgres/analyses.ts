/** Analyses and the findings the mirror added beyond them, on PostgreSQL. */
import type { AnalysisPort } from '../ports';
import { analysisAudit, type StoredFinding } from '../analysis-store';
import type { Access } from './access';
import { appendAudit } from './audit';
import { applyTransition } from './transitions';
import { toAnalysis, type AnalysisRow } from '../rows';

export function analysisPort(a: Access): AnalysisPort {
  return {
    analysisOf: (name, version, integrity) =>
      a.read(async (sql) => {
        const row = await sql.one<AnalysisRow>('SELECT * FROM analyses WHERE package = $1 AND version = $2 AND integrity = $3', [
          name,
          version,
          integrity,
        ]);
        return row && toAnalysis(row);
      }),

    record: (analysis, outcome, transition) =>
      a.write(
        async (sql) => {
          // Only a version not yet released or approved takes a result: a late or repeated job cannot rewrite
          // the findings an approval was bound to, nor the outcome that released a version.
          const changed = await sql.run(
            "UPDATE versions SET analysis = $1, max_severity = $2, findings_digest = $3, updated_at = $4 WHERE package = $5 AND version = $6 AND integrity = $7 AND state IN ('quarantined', 'held')",
            [outcome, analysis.maxSeverity, analysis.digest, analysis.finishedAt, analysis.package, analysis.version, analysis.integrity],
          );
          if (changed === 0) return false;
          await sql.run(
            `INSERT INTO analyses (package, version, integrity, previous_version, findings, digest, max_severity, analyzer_version, timings, finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (package, version, integrity) DO UPDATE SET previous_version = EXCLUDED.previous_version, findings = EXCLUDED.findings, digest = EXCLUDED.digest,
             max_severity = EXCLUDED.max_severity, analyzer_version = EXCLUDED.analyzer_version, timings = EXCLUDED.timings, finished_at = EXCLUDED.finished_at`,
            [
              analysis.package,
              analysis.version,
              analysis.integrity,
              analysis.previousVersion,
              JSON.stringify(analysis.findings),
              analysis.digest,
              analysis.maxSeverity,
              analysis.analyzerVersion,
              JSON.stringify(analysis.timings),
              analysis.finishedAt,
            ],
          );
          await appendAudit(sql, analysisAudit(analysis, outcome));
          if (transition) await applyTransition(sql, transition);
          return true;
        },
        [analysis.package, ...(transition ? [transition.package] : [])],
      ),

    addedFindings: (name, version, integrity) =>
      a.read(async (sql) =>
        (
          await sql.rows<{ finding: string }>(
            'SELECT finding FROM added_findings WHERE package = $1 AND version = $2 AND integrity = $3 ORDER BY rule',
            [name, version, integrity],
          )
        ).map((r) => JSON.parse(r.finding) as StoredFinding),
      ),

    addFinding: (transition, integrity, finding, merged) =>
      a.write(
        async (sql) => {
          if (!(await applyTransition(sql, transition))) return false;
          const { package: name, version, at } = transition;
          await sql.run(
            `INSERT INTO added_findings (package, version, integrity, rule, finding, added_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (package, version, integrity, rule) DO UPDATE SET finding = EXCLUDED.finding, added_at = EXCLUDED.added_at`,
            [name, version, integrity, finding.rule, JSON.stringify(finding), at],
          );
          if (merged) {
            await sql.run(
              'UPDATE analyses SET findings = $1, digest = $2, max_severity = $3 WHERE package = $4 AND version = $5 AND integrity = $6',
              [JSON.stringify(merged.findings), merged.digest, merged.maxSeverity, name, version, integrity],
            );
            await sql.run(
              'UPDATE versions SET findings_digest = $1, max_severity = $2 WHERE package = $3 AND version = $4 AND integrity = $5',
              [merged.digest, merged.maxSeverity, name, version, integrity],
            );
          }
          return true;
        },
        [transition.package],
      ),
  };
}
