import { clip } from '../evidence';
import type { PackageView } from '../package-view';
import type { Finding } from '../types';
import { INSTALL_EVENTS } from './install-scripts';

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
      if (a[name] !== b[name])
        out.push(`${kind}.${name}: registry ${JSON.stringify(a[name] ?? null)} vs tarball ${JSON.stringify(b[name] ?? null)}`);
    }
  }
  return out;
}

/** An unreadable package.json and manifest confusion (registry manifest and tarball disagree). */
export function metadataFindings(prev: PackageView | null, next: PackageView): Finding[] {
  const findings: Finding[] = [];
  if (next.byPath.has('package.json') && next.packageJson === null) {
    findings.push({
      category: 'metadata',
      rule: 'metadata/unreadable-package-json',
      severity: 'high',
      file: 'package.json',
      message: 'the package.json inside the tarball does not parse as a JSON object: what it makes npm run cannot be checked',
    });
  }
  const before = new Set(prev ? manifestMismatches(prev) : []);
  for (const mismatch of manifestMismatches(next)) {
    if (before.has(mismatch)) continue;
    findings.push({
      category: 'metadata',
      rule: 'metadata/manifest-mismatch',
      severity: 'high',
      file: 'package.json',
      evidence: clip(mismatch),
      message:
        'the registry manifest and the package.json inside the tarball disagree (manifest confusion): what is reviewed is not what installs',
    });
  }
  return findings;
}
