/** `cordon show pkg@1.2.3`: the findings (file, line, snippet) and the file-level diff against the previous version. */
import { formatFindingGroups } from './format-report';
import { COMMON_OPTIONS, CordonClient, mirrorUrl, parseCommand, versionSpec, type FindingsJson, type StatusJson } from './cordon-client';
import { lines, oneLine } from './terminal-text';
import { EXIT, printable, reportError, UsageError } from './error-text';
import { timeLeft } from './queue';

const USAGE = `usage: cordon show <pkg@version> [--diff] [--registry URL] [--json]

  --diff   also print the unified diff of every file that carries a finding
`;

/** The first line: the state in plain words, and for a visible version why it is served. */
export function stateLine(spec: string, s: StatusJson, now: number): string {
  if (s.visible) return `${spec} is ${s.state}: installs can have it (${oneLine(s.reason, 400)}).`;
  return `${spec} is ${s.state}, not served: ${timeLeft(s, now)}.`;
}

/** The human-readable review page. Every value from the package or upstream is escaped onto one line. */
export function formatFindings(spec: string, r: FindingsJson, now: number): string {
  const s = r.status;
  const out = [stateLine(spec, s, now), `  integrity       ${oneLine(s.integrity ?? '(none)')}`];
  if (s.visible && !r.analysis) {
    // A baseline version (older than the cooldown when the package was first seen) is never analysed.
    out.push(
      `  reason          ${oneLine(s.reason, 600)}`,
      '',
      s.analysis === null
        ? 'Not analysed: it was already older than the cooldown when Cordon first saw the package (baseline).'
        : 'No analysis is recorded for these bytes.',
    );
    return `${out.join('\n')}\n`;
  }
  out.push(`  findings digest ${oneLine(s.findingsDigest ?? '(analysis not finished)')}`);
  if (!s.visible || s.approvedBy.length)
    out.push(
      `  approvals       ${s.approvedBy.length} of ${s.required}${s.fastTrack ? ' (fast-track: the cooldown has not ended)' : ''}${s.approvedBy.length ? `: ${s.approvedBy.map((a) => oneLine(a, 80)).join(', ')}` : ''}`,
    );
  out.push(`  reason          ${oneLine(s.reason, 600)}`);
  if (!r.analysis) {
    out.push('', 'The analysis has not finished: there is nothing to review yet.');
    return `${out.join('\n')}\n`;
  }
  out.push(
    '',
    `Compared with ${r.analysis.previousVersion === null ? '(no earlier version: everything is new)' : oneLine(r.analysis.previousVersion, 80)}; analyzer ${oneLine(r.analysis.analyzerVersion, 40)}.`,
  );
  if (r.analysis.findings.length === 0) out.push('', 'No findings.');
  out.push(...formatFindingGroups(r.analysis.findings));
  if (r.diffError) out.push('', `No file diff: ${oneLine(r.diffError.error, 600)} [${oneLine(r.diffError.code, 40)}]`);
  if (r.diff) {
    out.push(
      '',
      `Files changed since ${r.diff.previousVersion === null ? '(nothing)' : oneLine(r.diff.previousVersion, 80)} (${r.diff.files.length}):`,
    );
    for (const f of r.diff.files)
      out.push(
        `  ${f.change === 'added' ? 'A' : f.change === 'removed' ? 'D' : 'M'} ${oneLine(f.path)}${f.change === 'changed' ? `  ${f.oldSize} → ${f.newSize} bytes` : f.change === 'added' ? `  ${f.newSize} bytes` : ''}`,
      );
    for (const [path, diff] of Object.entries(r.diff.unified)) {
      out.push(
        '',
        diff === null
          ? `${oneLine(path)}: binary, too large or too different for a line diff.`
          : diff === ''
            ? `${oneLine(path)}: unchanged.`
            : lines(diff.replace(/\n$/, '')),
      );
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
    process.stdout.write(
      values.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : printable(formatFindings(oneLine(`${name}@${version}`), result, Date.parse(result.now))),
    );
    return EXIT.ok;
  } catch (err) {
    return reportError('show', err, USAGE);
  }
}
