/** `bunfig.toml` settings for Bun: registry, `minimumReleaseAge` (seconds), `minimumReleaseAgeExcludes` (package names). */
import type { ClientPolicy } from '../quarantine/client-policy';
import { byPackage, comment, header, isSafeName, quote, safeFastTracked, seconds, untilText } from './text';
import type { ExportOptions } from './types';

export function bunfig(policy: ClientPolicy, options: ExportOptions): string {
  const out = [...header(policy, 'bun'), '[install]', `registry = ${quote(policy.registry)}`];
  if (options.bothGates)
    out.push(
      comment(`Bun's own release-age gate (seconds), as long as the mirror's cooldown:`),
      `minimumReleaseAge = ${seconds(policy.cooldownMs)}`,
    );
  else out.push(comment('Bun has no release-age gate unless minimumReleaseAge is set; the exclusions below matter only then.'));
  const names: string[] = [];
  for (const [name, entries] of byPackage(safeFastTracked(policy))) {
    out.push(comment(`approved by Cordon before its cooldown ended (fast-track), excluded by name: ${untilText(entries)}`));
    names.push(name);
  }
  for (const rule of policy.shorterCooldowns) {
    // Bun matches exclusions by exact name; a scope or glob rule is named in a comment only.
    if (isSafeName(rule.match)) names.push(rule.match);
    else
      out.push(
        comment(`Cordon's cooldown for ${rule.match} is shorter than the default; list those packages by name if Bun's gate refuses them.`),
      );
  }
  out.push(`minimumReleaseAgeExcludes = [${names.map(quote).join(', ')}]`);
  return `${out.join('\n')}\n`;
}
