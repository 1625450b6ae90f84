/**
 * Which registry packages a version's manifest makes npm install: dependencies, optional and peer
 * dependencies, with `npm:` aliases resolved to the package they really name. Git, URL, file, link and
 * workspace specs are not registry packages. Pure.
 */
import validateName from '../http/package-name';

const KINDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;
const NOT_REGISTRY =
  /^(git\+|git:|github:|gitlab:|bitbucket:|gist:|https?:|file:|link:|workspace:|portal:|patch:|exec:|\.{0,2}\/|~\/|[A-Za-z]:[\\/])/i;

/** The registry package and range one dependency entry names, or null when it is not a registry dependency. */
export function registryTarget(name: string, spec: unknown): { name: string; range: string } | null {
  if (typeof spec !== 'string') return null;
  const text = spec.trim();
  if (text.startsWith('npm:')) {
    const aliased = text.slice(4);
    const at = aliased.lastIndexOf('@');
    const real = at > 0 ? aliased.slice(0, at) : aliased;
    return validateName(real) ? { name: real, range: at > 0 ? aliased.slice(at + 1) : '*' } : null;
  }
  if (NOT_REGISTRY.test(text)) return null;
  // `user/repo` (optionally `#ref`) is GitHub shorthand, not a range.
  if (/^[^@\s/][^\s/]*\/[^\s/]+$/.test(text)) return null;
  return validateName(name) ? { name, range: text || '*' } : null;
}

/** Each registry dependency entry of the manifest: the name it is listed under and the package it names. */
export function registryDependencyEntries(manifest: Record<string, unknown> | null | undefined): Array<{ key: string; name: string }> {
  const out = new Map<string, string>();
  if (!manifest) return [];
  for (const kind of KINDS) {
    const deps = manifest[kind];
    if (!deps || typeof deps !== 'object' || Array.isArray(deps)) continue;
    for (const [key, spec] of Object.entries(deps as Record<string, unknown>)) {
      const target = registryTarget(key, spec);
      if (target && !out.has(key)) out.set(key, target.name);
    }
  }
  return [...out].map(([key, name]) => ({ key, name }));
}

/** Every registry package the manifest names, each with the ranges it is asked for in. */
export function registryDependencies(manifest: Record<string, unknown> | null | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!manifest) return out;
  for (const kind of KINDS) {
    const deps = manifest[kind];
    if (!deps || typeof deps !== 'object' || Array.isArray(deps)) continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      const target = registryTarget(name, spec);
      if (!target) continue;
      const ranges = out.get(target.name) ?? [];
      if (!ranges.includes(target.range)) ranges.push(target.range);
      out.set(target.name, ranges);
    }
  }
  return out;
}

/** Registry packages `next` names that `previous` did not, or names in another range (added or widened). */
export function addedOrChanged(next: Map<string, string[]>, previous: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [name, ranges] of next) {
    const before = previous.get(name);
    if (!before || ranges.some((r) => !before.includes(r))) out.push(name);
  }
  return out.sort();
}
