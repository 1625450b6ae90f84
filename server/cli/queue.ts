/** `cordon queue`: the versions waiting — state, time left in cooldown, most severe finding, approvals so far. */
import { formatDuration } from '../config/duration';
import { COMMON_OPTIONS, CordonClient, mirrorUrl, parseCommand, type StatusJson } from './cordon-client';
import { EXIT, printable, reportError, UsageError } from './error-text';
import { oneLine } from './terminal-text';

const USAGE = `usage: cordon queue [--registry URL] [--json]

Lists the versions the mirror holds back: quarantined (cooling down or waiting for analysis) and held
(a finding needs a person). --registry defaults to CORDON_URL, then http://127.0.0.1:4873.
`;

/** "2d 3h left", "cooldown over", or why time alone will not release it. */
export function timeLeft(s: StatusJson, now: number): string {
  if (s.releaseAt) {
    const left = Date.parse(s.releaseAt) - now;
    return left > 0 ? `${formatDuration(left)} left` : 'cooldown over';
  }
  const left = Date.parse(s.cooldownEndsAt!) - now;
  return left > 0 ? `needs approval (${formatDuration(left)} of cooldown left)` : 'needs approval';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export async function queueCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, COMMON_OPTIONS);
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (positionals.length) throw new UsageError('USAGE', `unexpected argument ${positionals[0]}`);
    const client = new CordonClient(mirrorUrl(values.registry));
    const queue = await client.queue();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(queue, null, 2)}\n`);
      return EXIT.ok;
    }
    if (queue.versions.length === 0) {
      process.stdout.write(`Nothing is waiting on ${client.baseUrl}.\n`);
      return EXIT.ok;
    }
    const now = Date.parse(queue.now);
    const rows = [['VERSION', 'STATE', 'TIME', 'WORST FINDING', 'APPROVALS', 'ANALYSIS']];
    for (const s of queue.versions) {
      const approvals = `${s.approvedBy.length}/${s.required}${s.fastTrack ? ' (fast-track)' : ''}${s.approvedBy.length ? ` ${s.approvedBy.map((a) => oneLine(a, 40)).join(',')}` : ''}`;
      rows.push([
        oneLine(`${s.package}@${s.version}`, 120),
        s.state,
        timeLeft(s, now),
        s.maxSeverity ?? (s.analysis === 'pending' ? '-' : 'none'),
        approvals,
        s.analysis ?? '-',
      ]);
    }
    process.stdout.write(
      `${printable(table(rows))}\n\nReview one with "cordon show <pkg@version>", then "cordon approve" or "cordon reject".\n`,
    );
    return EXIT.ok;
  } catch (err) {
    return reportError('queue', err, USAGE);
  }
}
