/**
 * `cordon why pkg@1.2.3`: one screen for a developer whose install was refused (or who wonders why a
 * version is served): the state, the reason, when it is released, whom to ask, and the page to read.
 */
import { formatDuration } from '../config/duration';
import { reviewUrl } from '../http/links';
import {
  COMMON_OPTIONS,
  CordonClient,
  mirrorUrl,
  parseCommand,
  versionSpec,
  type FindingsJson,
  type PackageVersionJson,
} from './cordon-client';
import { EXIT, printable, reportError, UsageError } from './error-text';
import { oneLine } from './terminal-text';

const USAGE = `usage: cordon why <pkg@version> [--registry URL] [--json]

Explains whether the mirror serves a version and why: state, reason, release time, the approvers to ask,
and the link to its page. --registry defaults to CORDON_URL, then cordon.yaml / CORDON_HOST / CORDON_PORT
in this folder, then http://127.0.0.1:4873.
`;

/** What the screen is built from: the approvals status and findings, the package status, the approvers. */
export interface WhyFacts {
  readonly spec: string;
  readonly findings: FindingsJson;
  readonly version: PackageVersionJson | undefined;
  readonly approvers: readonly string[];
  readonly page: string;
}

/** When the version is (or was) released, in words. */
function releaseText(f: WhyFacts, now: number): string {
  const s = f.findings.status;
  if (s.visible)
    return s.state === 'approved'
      ? `served since it was approved${s.fastTrack ? ' (fast-tracked before its cooldown ended)' : ''}`
      : 'served';
  if (s.state === 'rejected' || s.state === 'blocked') return 'never: it will not be served';
  if (s.releaseAt === null) return 'not by time: an approver must sign it off';
  const at = Date.parse(s.releaseAt);
  if (at <= now) return `its cooldown ended at ${s.releaseAt}; it is served once its analysis finishes clean`;
  return `${s.releaseAt} (in ${formatDuration(at - now)}) if its analysis finds nothing; or earlier, if approvers fast-track it`;
}

/** The screen; every value from the package or upstream is escaped onto one line. */
export function formatWhy(f: WhyFacts, now: number): string {
  const s = f.findings.status;
  const name = s.package;
  const spec = oneLine(f.spec, 260);
  const out = [s.visible ? `${spec} is ${s.state}: the mirror serves it.` : `${spec} is ${s.state}: the mirror does not serve it.`, ''];
  out.push(`  reason     ${oneLine(s.reason, 600)}`);
  if (f.version?.publishedAt)
    out.push(
      `  published  ${oneLine(f.version.publishedAt, 40)} (upstream)${f.version.firstSeenAt ? `, first seen here ${oneLine(f.version.firstSeenAt, 40)}` : ''}`,
    );
  out.push(`  released   ${releaseText(f, now)}`);
  const worst = f.findings.analysis?.maxSeverity ?? s.maxSeverity;
  if (f.findings.analysis)
    out.push(
      `  analysis   ${f.findings.analysis.findings.length} finding(s)${worst ? `, worst ${oneLine(worst, 20)}` : ''}; details: cordon show ${spec}`,
    );
  else if (s.analysis === 'pending') out.push('  analysis   not finished yet');
  if (!s.visible && s.state !== 'rejected' && s.state !== 'blocked') {
    out.push(
      `  approvals  ${s.approvedBy.length} of ${s.required}${s.fastTrack ? ' (fast-track: its cooldown has not ended)' : ''}${s.approvedBy.length ? `, from ${s.approvedBy.map((a) => oneLine(a, 80)).join(', ')}` : ''}`,
    );
    out.push(
      f.approvers.length
        ? `  ask        ${f.approvers.map((a) => oneLine(a, 80)).join(', ')}: they review it with "cordon show ${spec}" and sign with "cordon approve ${spec}"`
        : "  ask        the mirror's operator: this mirror lists no approvers in its cordon.yaml",
    );
  }
  out.push(`  page       ${f.page}`);
  if (!s.visible) out.push('', `Until then install an earlier version: npm view ${oneLine(name, 220)} versions lists the ones served.`);
  return `${out.join('\n')}\n`;
}

export async function whyCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, COMMON_OPTIONS);
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('USAGE', 'expected one pkg@version');
    const { name, version } = versionSpec(positionals[0]);
    const client = new CordonClient(mirrorUrl(values.registry));
    const findings = await client.findings(name, version, false);
    const [pkg, mirror] = await Promise.all([client.packageStatus(name), client.mirror()]);
    const facts: WhyFacts = {
      spec: `${name}@${version}`,
      findings,
      version: pkg.versions.find((v) => v.version === version),
      approvers: mirror.approvers.map((a) => a.name),
      page: reviewUrl(`${client.baseUrl}/`, name, version),
    };
    process.stdout.write(values.json ? `${JSON.stringify(facts, null, 2)}\n` : printable(formatWhy(facts, Date.parse(findings.now))));
    return EXIT.ok;
  } catch (err) {
    return reportError('why', err, USAGE);
  }
}
