import * as semver from 'semver';
import { clip } from '../evidence';
import type { PackageView } from '../package-view';
import type { Finding, Manifest, PackageSide } from '../types';
import { specType } from './dependencies';

/** What upstream says about one dependency, as `dependencyFacts` derives it from its packument. */
export interface DependencyFacts {
  /** False when upstream does not know the name (404). */
  readonly known: boolean;
  /** When its first version was published (epoch ms), or null when upstream gives no time. */
  readonly firstPublishedAt: number | null;
  /** How many versions upstream lists. */
  readonly versionCount: number;
}

/** When a dependency counts as young. */
export interface YoungDependencyPolicy {
  /** Younger than this (ms since its first publish) is young; default 30 days. */
  readonly maxAgeMs: number;
  /** Fewer versions than this is young; default 3. */
  readonly minVersions: number;
}

export const DEFAULT_YOUNG_DEPENDENCY: YoungDependencyPolicy = Object.freeze({ maxAgeMs: 30 * 86_400_000, minVersions: 3 });

const KINDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

/**
 * The facts the young-dependency rule needs, from a dependency's packument (null: upstream
 * answered 404). Pure: the caller fetches.
 */
export function dependencyFacts(
  packument: { readonly versions?: unknown; readonly time?: unknown } | null,
  asOf?: number,
): DependencyFacts {
  if (!packument) return { known: false, firstPublishedAt: null, versionCount: 0 };
  const versions = packument.versions && typeof packument.versions === 'object' ? Object.keys(packument.versions) : [];
  const time = packument.time && typeof packument.time === 'object' ? (packument.time as Record<string, unknown>) : {};
  const ms = (value: unknown): number | null => {
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
    return Number.isFinite(n) && n > 0 ? n : null;
  };
  let first: number | null = null;
  // `created` and every version's time: the earliest is when the name first existed upstream
  for (const [key, value] of Object.entries(time)) {
    const at = key === 'modified' ? null : ms(value);
    if (at !== null && (first === null || at < first)) first = at;
  }
  // `asOf` (a past instant, for replaying history): versions published after it did not exist yet
  const count = asOf === undefined ? versions.length : versions.filter((v) => (ms(time[v]) ?? 0) <= asOf).length;
  return { known: true, firstPublishedAt: first, versionCount: count };
}

function registryDeps(manifests: ReadonlyArray<Manifest | null>): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of manifests) {
    for (const kind of KINDS) {
      for (const [name, spec] of Object.entries(m?.[kind] ?? {})) {
        if (typeof spec === 'string' && specType(spec) === 'registry' && !out.has(name)) out.set(name, spec);
      }
    }
  }
  return out;
}

function widened(oldSpec: string, newSpec: string): boolean {
  if (oldSpec === newSpec) return false;
  // An exact pin moved to another exact version (platform packages released in lockstep): the package
  // was already depended upon, and the mirror quarantines that new version on its own.
  if (semver.valid(oldSpec, { loose: true }) && semver.valid(newSpec, { loose: true })) return false;
  try {
    return !semver.subset(newSpec || '*', oldSpec || '*', { loose: true });
  } catch {
    return true; // a range semver cannot read admits who knows what
  }
}

/**
 * Registry dependencies the new version adds, or whose range now admits versions the old one did
 * not (name → new range; an exact pin moved to another exact version does not count): the ones whose
 * packuments the caller fetches for `dependencyFacts`.
 */
export function addedOrWidenedDependencies(
  previous: { readonly registry: Manifest | null; readonly packageJson: Manifest | null } | null,
  next: { readonly registry: Manifest | null; readonly packageJson: Manifest | null },
): Map<string, string> {
  const before = registryDeps(previous ? [previous.registry, previous.packageJson] : []);
  const out = new Map<string, string>();
  for (const [name, spec] of registryDeps([next.registry, next.packageJson])) {
    const old = before.get(name);
    if (old === undefined || widened(old, spec)) out.set(name, spec);
  }
  return out;
}

/** Added or widened dependencies that upstream does not know, first saw less than `maxAgeMs` ago, or has few versions of. */
export function youngDependencyFindings(
  prev: PackageView | null,
  next: PackageView,
  facts: ReadonlyMap<string, DependencyFacts>,
  now: number,
  policy: YoungDependencyPolicy = DEFAULT_YOUNG_DEPENDENCY,
): Finding[] {
  const findings: Finding[] = [];
  for (const [name, spec] of addedOrWidenedDependencies(prev, next)) {
    const f = facts.get(name);
    const evidence = clip(`"${name}": "${spec}"`);
    const base = { category: 'dependency', file: 'package.json', evidence } as const;
    if (!f) {
      findings.push({
        ...base,
        rule: 'dependency/unchecked-dependency',
        severity: 'medium',
        message: `"${name}" is added or widened and nothing is known about it upstream (it could not be looked up): check it before approving`,
      });
    } else if (!f.known) {
      findings.push({
        ...base,
        rule: 'dependency/unknown-dependency',
        severity: 'medium',
        message: `"${name}" is added or widened but upstream does not know such a package (a typo, a removed package, or one not yet published)`,
      });
    } else {
      const ageMs = f.firstPublishedAt === null || !Number.isFinite(now) ? null : now - f.firstPublishedAt;
      const reasons: string[] = [];
      if (ageMs === null) reasons.push('upstream gives no publish time for it');
      else if (ageMs < policy.maxAgeMs) reasons.push(`it was first published ${Math.max(0, Math.floor(ageMs / 86_400_000))} day(s) ago`);
      if (f.versionCount < policy.minVersions) reasons.push(`it has only ${f.versionCount} version(s)`);
      if (reasons.length > 0) {
        findings.push({
          ...base,
          rule: 'dependency/young-dependency',
          severity: 'medium',
          message: `"${name}" is added or widened and is young: ${reasons.join(' and ')} (event-stream's flatmap-stream was such a dependency)`,
        });
      }
    }
  }
  return findings;
}

function sideManifests(side: PackageSide): { registry: Manifest | null; packageJson: Manifest | null } {
  const file = side.files.find((f) => f.path === 'package.json');
  let packageJson: Manifest | null = null;
  if (file) {
    try {
      const text =
        typeof file.bytes === 'string'
          ? file.bytes
          : Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength).toString('utf8');
      const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
      if (value && typeof value === 'object' && !Array.isArray(value)) packageJson = value as Manifest;
    } catch {
      // an unreadable package.json is its own finding; the registry manifest still names dependencies
    }
  }
  return { registry: side.manifest, packageJson };
}

/** The names whose packuments the pipeline fetches (then `dependencyFacts`) before analysing `next` against `previous`. */
export function dependenciesToCheck(previous: PackageSide | null, next: PackageSide): string[] {
  return [...addedOrWidenedDependencies(previous ? sideManifests(previous) : null, sideManifests(next)).keys()].sort();
}
