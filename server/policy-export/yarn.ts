/** `.yarnrc.yml` settings for Yarn 4: registry, `unsafeHttpWhitelist` on http, `npmMinimalAgeGate` (minutes), `npmPreapprovedPackages`. */
import type { ClientPolicy } from '../quarantine/client-policy';
import { byPackage, comment, header, minutes, quote, safeFastTracked, untilText } from './text';
import type { ExportOptions } from './types';

export function yarnrc(policy: ClientPolicy, options: ExportOptions): string {
  const url = new URL(policy.registry);
  const out = [...header(policy, 'yarn'), `npmRegistryServer: ${quote(policy.registry)}`];
  if (url.protocol === 'http:')
    out.push(
      comment('Yarn refuses plain-http registries unless their host is listed:'),
      `unsafeHttpWhitelist:`,
      `  - ${quote(url.hostname)}`,
    );
  if (options.bothGates)
    out.push(
      comment(`Yarn's own release-age gate (minutes), as long as the mirror's cooldown:`),
      `npmMinimalAgeGate: ${minutes(policy.cooldownMs)}`,
    );
  else out.push(comment(`Yarn's default release-age gate (1 day) stays on.`));
  const approved: string[] = [];
  for (const [name, entries] of byPackage(safeFastTracked(policy))) {
    approved.push(`  ${comment(`approved by Cordon before its cooldown ended (fast-track): ${untilText(entries)}`)}`);
    for (const e of entries) approved.push(`  - ${quote(`${name}@${e.version}`)}`);
  }
  for (const rule of policy.shorterCooldowns)
    approved.push(`  ${comment(`Cordon's cooldown for ${rule.match} is shorter than the default`)}`, `  - ${quote(rule.match)}`);
  out.push(approved.length ? 'npmPreapprovedPackages:' : 'npmPreapprovedPackages: []', ...approved);
  return `${out.join('\n')}\n`;
}
