/**
 * What a client's or bot's own release-age gate needs to know to agree with the mirror: the cooldown,
 * the versions approved before their cooldown ended (fast-track), until when each needs an exclusion,
 * and the package rules whose cooldown is shorter than the default.
 */
import type { EffectiveRule, PackageRule } from '../config/package-rules';
import { cooldownEndsAt } from '../policy/lifecycle';
import type { VersionRecord } from '../policy/version-state';

/** A version the mirror serves although it is younger than its cooldown. */
export interface FastTracked {
  readonly package: string;
  readonly version: string;
  /** When its cooldown ends: after this a client gate as long as the cooldown lets it through on its own. */
  readonly expiresAt: number;
  readonly reason: string;
}

/** The mirror's release policy as client settings need it. */
export interface ClientPolicy {
  /** The mirror's base URL, ending in `/`. */
  readonly registry: string;
  readonly cooldownMs: number;
  readonly generatedAt: number;
  readonly fastTracked: readonly FastTracked[];
  /** Package rules with a cooldown shorter than the default: a client gate would refuse what the mirror serves. */
  readonly shorterCooldowns: ReadonlyArray<{ readonly match: string; readonly cooldownMs: number }>;
}

/** What the policy is built from; `approved` are the records in state `approved`. */
export interface ClientPolicyInput {
  readonly registry: string;
  readonly cooldownMs: number;
  readonly rules: readonly PackageRule[];
  readonly approved: readonly VersionRecord[];
  ruleFor(name: string): EffectiveRule;
}

/** Builds the policy at `now`: fast-tracked versions whose cooldown has not ended yet, by package and version. */
export function clientPolicy(input: ClientPolicyInput, now: number): ClientPolicy {
  const fastTracked = input.approved
    .map((r) => ({ package: r.package, version: r.version, expiresAt: cooldownEndsAt(r, input.ruleFor(r.package)), reason: r.reason }))
    .filter((f) => f.expiresAt > now)
    .sort((a, b) => a.package.localeCompare(b.package) || a.version.localeCompare(b.version, 'en', { numeric: true }));
  const shorterCooldowns = input.rules
    .filter((r) => r.cooldownMs !== undefined && r.cooldownMs < input.cooldownMs && r.approval !== 'always')
    .map((r) => ({ match: r.match, cooldownMs: r.cooldownMs! }));
  return { registry: input.registry, cooldownMs: input.cooldownMs, generatedAt: now, fastTracked, shorterCooldowns };
}
