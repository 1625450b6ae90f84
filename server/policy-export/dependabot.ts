/**
 * `.github/dependabot.yml` for Dependabot: the mirror as the npm registry and a `cooldown` of whole days
 * at least as long as the mirror's, with fast-tracked packages excluded (Dependabot excludes by name).
 */
import type { ClientPolicy } from '../quarantine/client-policy';
import { byPackage, comment, header, quote, safeFastTracked, untilText } from './text';

export function dependabotYml(policy: ClientPolicy): string {
  const excluded: string[] = [];
  for (const [name, entries] of byPackage(safeFastTracked(policy)))
    excluded.push(`        ${comment(`fast-tracked by Cordon: ${untilText(entries)}`)}`, `        - ${quote(name)}`);
  for (const rule of policy.shorterCooldowns)
    excluded.push(
      `        ${comment(`Cordon's cooldown for ${rule.match} is shorter than the default`)}`,
      `        - ${quote(rule.match)}`,
    );
  const out = [
    ...header(policy, 'dependabot'),
    'version: 2',
    'registries:',
    '  cordon:',
    '    type: npm-registry',
    `    url: ${quote(policy.registry)}`,
    '    replaces-base: true',
    'updates:',
    '  - package-ecosystem: "npm"',
    '    directory: "/"',
    '    schedule:',
    '      interval: "daily"',
    '    registries:',
    '      - cordon',
    '    cooldown:',
    `      ${comment(`whole days, at least the mirror's cooldown`)}`,
    `      default-days: ${Math.max(0, Math.ceil(policy.cooldownMs / 86_400_000))}`,
  ];
  if (excluded.length) out.push('      exclude:', ...excluded);
  return `${out.join('\n')}\n`;
}
