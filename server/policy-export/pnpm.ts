/** `pnpm-workspace.yaml` settings for pnpm 12: registry, `minimumReleaseAge` (minutes), `minimumReleaseAgeExclude`. */
import type { ClientPolicy } from '../quarantine/client-policy';
import { byPackage, comment, header, minutes, quote, safeFastTracked, untilText } from './text';
import type { ExportOptions } from './types';

export function pnpmWorkspace(policy: ClientPolicy, options: ExportOptions): string {
  const out = [...header(policy, 'pnpm'), `registry: ${quote(policy.registry)}`];
  if (options.bothGates)
    out.push(
      comment(`pnpm's own release-age gate (minutes), as long as the mirror's cooldown:`),
      `minimumReleaseAge: ${minutes(policy.cooldownMs)}`,
    );
  else out.push(comment(`pnpm's default release-age gate (1 day) stays on.`));
  const excludes: string[] = [];
  for (const [name, entries] of byPackage(safeFastTracked(policy))) {
    excludes.push(
      `  ${comment(`approved by Cordon before its cooldown ended (fast-track): ${untilText(entries)}`)}`,
      `  - ${quote(`${name}@${entries.map((e) => e.version).join(' || ')}`)}`,
    );
  }
  for (const rule of policy.shorterCooldowns)
    excludes.push(`  ${comment(`Cordon's cooldown for ${rule.match} is shorter than the default`)}`, `  - ${quote(rule.match)}`);
  out.push(excludes.length ? 'minimumReleaseAgeExclude:' : 'minimumReleaseAgeExclude: []', ...excludes);
  return `${out.join('\n')}\n`;
}
