/**
 * `renovate.json` for Renovate: look versions up on the mirror, wait `minimumReleaseAge` as long as its
 * cooldown (so no pull request proposes a version the mirror refuses), and let each fast-tracked
 * version through at once (a packageRule matching that exact version clears the age).
 */
import type { ClientPolicy } from '../quarantine/client-policy';
import { humanDuration, safeFastTracked } from './text';

export function renovateJson(policy: ClientPolicy): string {
  const rules: Record<string, unknown>[] = [
    {
      description: `Look npm versions up on the Cordon mirror ${policy.registry}`,
      matchDatasources: ['npm'],
      registryUrls: [policy.registry],
    },
  ];
  for (const f of safeFastTracked(policy)) {
    rules.push({
      description: `${f.package}@${f.version} was approved by Cordon before its cooldown ended (fast-track); this rule is not needed after ${new Date(f.expiresAt).toISOString()}`,
      matchDatasources: ['npm'],
      matchPackageNames: [f.package],
      matchJsonata: [`version = ${JSON.stringify(f.version)}`],
      minimumReleaseAge: null,
    });
  }
  for (const rule of policy.shorterCooldowns) {
    rules.push({
      description: `Cordon's cooldown for ${rule.match} is shorter than the default`,
      matchDatasources: ['npm'],
      matchPackageNames: [rule.match],
      minimumReleaseAge: rule.cooldownMs > 0 ? humanDuration(rule.cooldownMs) : null,
    });
  }
  const config = {
    $schema: 'https://docs.renovatebot.com/renovate-schema.json',
    description: [
      `Written by "cordon policy export --format renovate" from ${policy.registry} at ${new Date(policy.generatedAt).toISOString()}: wait as long as the mirror does.`,
    ],
    minimumReleaseAge: policy.cooldownMs > 0 ? humanDuration(policy.cooldownMs) : null,
    internalChecksFilter: 'strict',
    packageRules: rules,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
