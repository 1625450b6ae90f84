import { SEVERITY_ORDER } from '../analyzer/severity';
import type { Report } from '../analyzer/types';

/** The human-readable report: findings grouped by severity, most severe first, with file:line and snippet. */
export function formatReport(report: Report): string {
  const title = `${report.name ?? 'package'} ${report.previousVersion ?? '(none)'} → ${report.version ?? '?'}`;
  const out = [`cordon analyze: ${title}`];
  if (report.findings.length === 0) {
    out.push('', 'Nothing new found: no rule saw a capability this version adds.');
  }
  for (const severity of [...SEVERITY_ORDER].reverse()) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push('', `${severity.toUpperCase()} (${group.length})`);
    for (const f of group) {
      const where = f.file ? ` ${f.file}${f.line ? `:${f.line}` : ''}` : '';
      out.push(`  [${f.rule}]${where}`, `    ${f.message}`);
      if (f.evidence) out.push(`    > ${f.evidence}`);
    }
  }
  out.push('', `files: ${report.stats.filesNext} (${report.stats.filesChanged} changed, ${report.stats.filesScanned} scanned, ${report.stats.filesUnparsable} unparsable)`,
    `analyzer ${report.analyzerVersion}, digest ${report.digest}`, '');
  return out.join('\n');
}
