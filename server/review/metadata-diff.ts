/**
 * The registry metadata of a version against the previous one, as a reviewer reads it: scripts, every
 * kind of dependency, bins, engines, publisher and maintainers, provenance. Pure.
 */
import type { MetadataChange, MetadataSection } from './diff-types';

type Manifest = Readonly<Record<string, unknown>>;

/** Every value as one line of text: hostile metadata can be any JSON. */
function show(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

function entries(value: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (value && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) out.set(k, show(v));
  else if (Array.isArray(value)) for (const v of value) out.set(show(v), 'bundled');
  return out;
}

function bins(m: Manifest | null): Map<string, string> {
  const bin = m?.bin;
  if (typeof bin === 'string') return new Map([[typeof m?.name === 'string' ? m.name.replace(/^@[^/]+\//, '') : 'bin', bin]]);
  return entries(bin);
}

function person(p: unknown): string {
  if (p && typeof p === 'object') {
    const { name, email } = p as { name?: unknown; email?: unknown };
    return `${typeof name === 'string' ? name : '?'}${typeof email === 'string' ? ` <${email}>` : ''}`;
  }
  return show(p);
}

function provenance(m: Manifest | null): Map<string, string> {
  const dist = (m?.dist ?? {}) as Record<string, unknown>;
  const att = dist.attestations as { url?: unknown; provenance?: { predicateType?: unknown } } | undefined;
  const out = new Map<string, string>();
  out.set(
    'attestation',
    att ? `present${typeof att.provenance?.predicateType === 'string' ? ` (${att.provenance.predicateType})` : ''}` : 'none',
  );
  if (Array.isArray(dist.signatures)) out.set('registry signatures', String(dist.signatures.length));
  return out;
}

function section(name: string, before: Map<string, string>, after: Map<string, string>): MetadataSection {
  const changes: MetadataChange[] = [];
  let unchanged = 0;
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(key) ?? null;
    const a = after.get(key) ?? null;
    if (a === b) unchanged++;
    else changes.push({ key, before: b, after: a });
  }
  return { name, changes, unchanged };
}

/** `os` and `cpu` lists as one set of entries. */
function platforms(m: Manifest | null): Map<string, string> {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(show) : typeof v === 'string' ? [v] : []);
  return new Map([
    ...list(m?.os).map((v): [string, string] => [`os ${v}`, 'yes']),
    ...list(m?.cpu).map((v): [string, string] => [`cpu ${v}`, 'yes']),
  ]);
}

const DEPENDENCY_KINDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'devDependencies'] as const;

/** Sections in reading order; `previous` null: everything is new. */
export function metadataDiff(previous: Manifest | null, next: Manifest): MetadataSection[] {
  const field = (m: Manifest | null, key: string): unknown =>
    key === 'bundleDependencies' ? (m?.bundleDependencies ?? m?.bundledDependencies) : m?.[key];
  const maintainers = (m: Manifest | null) =>
    new Map((Array.isArray(m?.maintainers) ? m.maintainers : []).map((p) => [person(p), 'maintainer']));
  const publisher = (m: Manifest | null) => new Map(m?._npmUser ? [['publisher', person(m._npmUser)]] : []);
  const about = (m: Manifest | null) =>
    new Map(
      ['description', 'homepage', 'repository', 'license', 'deprecated'].flatMap(
        (k): Array<[string, string]> => (m?.[k] === undefined ? [] : [[k, show(m[k])]]),
      ),
    );
  return [
    section('package', about(previous), about(next)),
    section('scripts', entries(previous?.scripts), entries(next.scripts)),
    ...DEPENDENCY_KINDS.map((kind) => section(kind, entries(field(previous, kind)), entries(field(next, kind)))),
    section('bin', bins(previous), bins(next)),
    section('engines', entries(previous?.engines), entries(next.engines)),
    section('os and cpu', platforms(previous), platforms(next)),
    section('publisher', publisher(previous), publisher(next)),
    section('maintainers', maintainers(previous), maintainers(next)),
    section('provenance', provenance(previous), provenance(next)),
  ];
}
