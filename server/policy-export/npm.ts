/** `.npmrc` for npm 11: the registry, `min-release-age` (days) and `min-release-age-exclude[]` (package names only). */
import type { ClientPolicy } from '../quarantine/client-policy';
import { byPackage, comment, days, header, isSafeName, safeFastTracked, untilText } from './text';
import type { ExportOptions } from './types';

export function npmrc(policy: ClientPolicy, options: ExportOptions): string {
  const out = [...header(policy, 'npm'), `registry=${policy.registry}`];
  if (options.bothGates)
    out.push(comment(`npm's own release-age gate, as long as the mirror's cooldown:`), `min-release-age=${days(policy.cooldownMs)}`);
  else out.push(comment(`npm has no release-age gate unless min-release-age is set; the exclusions below matter only then.`));
  const grouped = byPackage(safeFastTracked(policy));
  if (grouped.size)
    out.push(
      comment(
        'Approved by Cordon before their cooldown ended (fast-track). npm exempts whole packages by name, so drop each line after its date:',
      ),
    );
  for (const [name, entries] of grouped) out.push(comment(untilText(entries)), `min-release-age-exclude[]=${name}`);
  for (const rule of policy.shorterCooldowns) {
    if (!isSafeName(rule.match.replace(/\*/g, 'x'))) continue;
    out.push(comment(`Cordon's cooldown for ${rule.match} is shorter than the default:`), `min-release-age-exclude[]=${rule.match}`);
  }
  return `${out.join('\n')}\n`;
}
