/** Per-package rules from the config file: which packages get another cooldown or always need an approval. */
export interface PackageRule {
  /** The pattern as written: an exact name, a scope (`@acme/*`) or a glob (`*`, `?`, `**`). */
  readonly match: string;
  /** Cooldown for matching packages in ms; undefined keeps the global one. */
  readonly cooldownMs?: number;
  /** `always`: every new version waits for a signed approval. */
  readonly approval?: 'always';
}

/** The rule that applies to a package once the global defaults are folded in. */
export interface EffectiveRule {
  readonly cooldownMs: number;
  readonly approvalAlways: boolean;
  /** The `match` of the rule that applied, for messages and the audit log. */
  readonly matchedBy: string | null;
}

const cache = new Map<string, RegExp>();

function patternToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const ch = pattern[i]!;
      if (ch === '*') {
        if (pattern[i + 1] === '*') {
          source += '.*';
          i++;
        } else source += '[^/]*';
      } else if (ch === '?') source += '[^/]';
      else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    re = new RegExp(`^${source}$`);
    cache.set(pattern, re);
  }
  return re;
}

/** True when `pattern` is a valid rule pattern (non-empty, no spaces). */
export function isValidPattern(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 214 && !/\s/.test(pattern);
}

/** The first rule (in file order) whose pattern matches `name`, folded over the global defaults. */
export function ruleFor(name: string, rules: readonly PackageRule[], defaultCooldownMs: number): EffectiveRule {
  for (const rule of rules) {
    if (patternToRegExp(rule.match).test(name)) {
      return {
        cooldownMs: rule.cooldownMs ?? defaultCooldownMs,
        approvalAlways: rule.approval === 'always',
        matchedBy: rule.match,
      };
    }
  }
  return { cooldownMs: defaultCooldownMs, approvalAlways: false, matchedBy: null };
}
