/** `cordon show pkg@1.2.3`: the findings (file, line, snippet) and the file-level diff against the previous version. */
import { formatFindingGroups } from './format-report';
import { COMMON_OPTIONS, CordonClient, mirrorUrl, parseCommand, versionSpec, type FindingsJson } from './cordon-client';
import { EXIT, printable, reportError, UsageError } from './error-text';
import { timeLeft } from './queue';

const USAGE = `usage: cordon show <pkg@version> [--diff] [--registry URL] [--json]

  --diff   also print the unified diff of every file that carries a finding
`;

/** The human-readable review page. */
export function formatFindings(spec: string, r: FindingsJson, now: number): string {
  const s = r.status;
  const out = [`${spec}: ${s.state}, ${timeLeft(s, now)}`, `  integrity       ${s.integrity ?? '(none)'}`, `  findings digest ${s.findingsDigest ?? '(analysis not finished)'}`,
    `  approvals       ${s.approvedBy.length} of ${s.required}${s.fastTrack ? ' (fast-track: the cooldown has not ended)' : ''}${s.approvedBy.length ? `: ${s.approvedBy.join(', ')}` : ''}`, `  reason          ${s.reason}`];
  if (!r.analysis) {
    out.push('', 'The analysis has not finished: there is nothing to review yet.');
    return `${out.join('\n')}\n`;
  }
  out.push('', `Compared with ${r.analysis.previousVersion ?? '(no earlier version: everything is new)'}; analyzer ${r.analysis.analyzerVersion}.`);
  if (r.analysis.findings.length === 0) out.push('', 'No findings.');
  out.push(...formatFindingGroups(r.analysis.findings));
  if (r.diffError) out.push('', `No file diff: ${r.diffError.error} [${r.diffError.code}]`);
  if (r.diff) {
    out.push('', `Files changed since ${r.diff.previousVersion ?? '(nothing)'} (${r.diff.files.length}):`);
    for (const f of r.diff.files) out.push(`  ${f.change === 'added' ? 'A' : f.change === 'removed' ? 'D' : 'M'} ${f.path}${f.change === 'changed' ? `  ${f.oldSize} → ${f.newSize} bytes` : f.change === 'added' ? `  ${f.newSize} bytes` : ''}`);
    for (const [path, diff] of Object.entries(r.diff.unified)) {
      out.push('', diff === null ? `${path}: binary, too large or too different for a line diff.` : diff === '' ? `${path}: unchanged.` : diff.replace(/\n$/, ''));
    }
  }
  return `${out.join('\n')}\n`;
}

export async function showCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, { ...COMMON_OPTIONS, diff: { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('USAGE', 'expected one pkg@version');
    const { name, version } = versionSpec(positionals[0]);
    const client = new CordonClient(mirrorUrl(values.registry));
    const result = await client.findings(name, version, values.diff === true);
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : printable(formatFindings(`${name}@${version}`, result, Date.parse(result.now))));
    return EXIT.ok;
  } catch (err) {
    return reportError('show', err, USAGE);
  }
}
