import { SEVERITY_ORDER } from '../analyzer/severity';
import type { Finding, Report } from '../analyzer/types';
import { oneLine } from './terminal-text';

/** The human-readable report: findings grouped by severity, most severe first, with file:line and snippet. */
export function formatReport(report: Report): string {
  const title = `${report.name ?? 'package'} ${report.previousVersion ?? '(none)'} → ${report.version ?? '?'}`;
  const out = [`cordon analyze: ${title}`];
  if (report.findings.length === 0) {
    out.push('', 'Nothing new found: no rule saw a capability this version adds.');
  }
  out.push(...formatFindingGroups(report.findings));
  out.push(
    '',
    `files: ${report.stats.filesNext} (${report.stats.filesChanged} changed, ${report.stats.filesScanned} scanned, ${report.stats.filesUnparsable} unparsable)`,
    `analyzer ${report.analyzerVersion}, digest ${report.digest}`,
    '',
  );
  return out.join('\n');
}

/** Findings grouped by severity, most severe first: `[rule] file:line`, the message, and the snippet. */
export function formatFindingGroups(
  findings: ReadonlyArray<{ readonly severity: string } & Pick<Finding, 'rule' | 'message' | 'file' | 'line' | 'evidence'>>,
): string[] {
  const out: string[] = [];
  for (const severity of [...SEVERITY_ORDER].reverse()) {
    const group = findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push('', `${severity.toUpperCase()} (${group.length})`);
    for (const f of group) {
      // Rule, file, message and snippet can all carry package text: each stays on its own line.
      out.push(
        `  [${oneLine(f.rule, 120)}]${f.file ? ` ${oneLine(f.file)}${f.line ? `:${oneLine(f.line, 12)}` : ''}` : ''}`,
        `    ${oneLine(f.message, 600)}`,
      );
      if (f.evidence) out.push(`    > ${oneLine(f.evidence)}`);
    }
  }
  return out;
}
