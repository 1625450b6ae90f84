import { clip } from '../evidence';
import type { PackageView } from '../package-view';
import type { Finding, Manifest } from '../types';
import { INSTALL_EVENTS } from './install-scripts';

function userName(u: { name?: string; email?: string } | undefined): string | undefined {
  return u?.name ?? u?.email;
}

function hasProvenance(m: Manifest): boolean {
  return m.dist?.attestations !== undefined && m.dist.attestations !== null;
}

/** Where the registry manifest and the tarball's package.json disagree on what runs or installs. */
export function manifestMismatches(view: PackageView): string[] {
  const reg = view.registry;
  const pkg = view.packageJson;
  if (!reg || !pkg) return [];
  const out: string[] = [];
  const hasGyp = view.byPath.has('binding.gyp');
  for (const event of INSTALL_EVENTS) {
    const a = reg.scripts?.[event];
    const b = pkg.scripts?.[event];
    if (a === b) continue;
    // npm publish itself writes the implicit node-gyp install script into the registry manifest
    if (event === 'install' && hasGyp && b === undefined && a === 'node-gyp rebuild') continue;
    out.push(`scripts.${event}: registry ${JSON.stringify(a ?? null)} vs tarball ${JSON.stringify(b ?? null)}`);
  }
  for (const kind of ['dependencies', 'optionalDependencies'] as const) {
    const a = reg[kind] ?? {};
    const b = pkg[kind] ?? {};
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (a[name] !== b[name]) out.push(`${kind}.${name}: registry ${JSON.stringify(a[name] ?? null)} vs tarball ${JSON.stringify(b[name] ?? null)}`);
    }
  }
  return out;
}

/** Publisher, maintainers, provenance and manifest confusion; needs registry manifests. */
export function metadataFindings(prev: PackageView | null, next: PackageView): Finding[] {
  const findings: Finding[] = [];
  if (next.byPath.has('package.json') && next.packageJson === null) {
    findings.push({ category: 'metadata', rule: 'metadata/unreadable-package-json', severity: 'high', file: 'package.json',
      message: 'the package.json inside the tarball does not parse as a JSON object: what it makes npm run cannot be checked' });
  }
  const before = new Set(prev ? manifestMismatches(prev) : []);
  for (const mismatch of manifestMismatches(next)) {
    if (before.has(mismatch)) continue;
    findings.push({ category: 'metadata', rule: 'metadata/manifest-mismatch', severity: 'high', file: 'package.json', evidence: clip(mismatch),
      message: 'the registry manifest and the package.json inside the tarball disagree (manifest confusion): what is reviewed is not what installs' });
  }
  const a = prev?.registry;
  const b = next.registry;
  if (!a || !b) return findings;
  const oldUser = userName(a._npmUser);
  const newUser = userName(b._npmUser);
  if (oldUser && newUser && oldUser !== newUser) {
    findings.push({ category: 'metadata', rule: 'metadata/new-publisher', severity: 'low', evidence: clip(`${oldUser} → ${newUser}`),
      message: `published by ${newUser}, the previous version by ${oldUser}` });
  }
  const known = new Set((a.maintainers ?? []).map((m) => userName(m)));
  for (const m of b.maintainers ?? []) {
    const name = userName(m);
    if (name && known.size > 0 && !known.has(name)) {
      findings.push({ category: 'metadata', rule: 'metadata/new-maintainer', severity: 'low', evidence: clip(name), message: `new maintainer ${name}` });
    }
  }
  if (hasProvenance(a) && !hasProvenance(b)) {
    findings.push({ category: 'metadata', rule: 'metadata/provenance-dropped', severity: 'high',
      message: 'the previous version had a provenance attestation and this one has none: it was not built by the usual pipeline' });
  }
  return findings;
}
