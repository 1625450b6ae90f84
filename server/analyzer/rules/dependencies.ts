import { clip } from '../evidence';
import type { PackageView } from '../package-view';
import type { Finding, Manifest } from '../types';

const KINDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** The kind of source a dependency spec points at, the way npm-package-arg sees it. */
export function specType(spec: string): 'registry' | 'git' | 'url' | 'file' | 'alias' {
  const s = spec.trim();
  if (/^npm:/.test(s)) return 'alias';
  if (/^(git\+|git:|github:|gitlab:|bitbucket:|gist:)/.test(s) || /^[\w.-]+\/[\w.-]+(#.*)?$/.test(s) || /\.git(#.*)?$/.test(s))
    return 'git';
  if (/^https?:\/\//.test(s)) return 'url';
  if (/^(file:|link:|\.{0,2}\/|~\/|[A-Za-z]:\\)/.test(s)) return 'file';
  return 'registry';
}

function depsOf(view: PackageView | null): Map<string, { kind: string; spec: string }> {
  const out = new Map<string, { kind: string; spec: string }>();
  if (!view) return out;
  for (const m of [view.registry, view.packageJson] as Array<Manifest | null>) {
    if (!m) continue;
    for (const kind of KINDS) {
      for (const [name, spec] of Object.entries(m[kind] ?? {})) {
        if (typeof spec === 'string' && !out.has(`${kind}:${name}`)) out.set(`${kind}:${name}`, { kind, spec });
      }
    }
  }
  return out;
}

/** New dependencies of any kind, and above all dependencies on git, URLs and local files. */
export function dependencyFindings(prev: PackageView | null, next: PackageView): Finding[] {
  const before = depsOf(prev);
  const findings: Finding[] = [];
  for (const [id, { kind, spec }] of depsOf(next)) {
    const name = id.slice(kind.length + 1);
    const type = specType(spec);
    const old = before.get(id);
    if (old && specType(old.spec) === type && (type === 'registry' || old.spec === spec)) continue;
    const evidence = clip(`"${name}": "${spec}"`);
    const file = 'package.json';
    if (type === 'git') {
      findings.push({
        category: 'dependency',
        rule: 'dependency/git-dependency',
        severity: 'high',
        file,
        evidence,
        message: `${kind} "${name}" now comes from git (${clip(spec, 80)}); npm runs its prepare script at install, outside the registry's view`,
      });
    } else if (type === 'url') {
      findings.push({
        category: 'dependency',
        rule: 'dependency/url-dependency',
        severity: 'high',
        file,
        evidence,
        message: `${kind} "${name}" is downloaded from a URL, bypassing the registry and its integrity records`,
      });
    } else if (type === 'file') {
      findings.push({
        category: 'dependency',
        rule: 'dependency/file-dependency',
        severity: 'medium',
        file,
        evidence,
        message: `${kind} "${name}" points at a local path`,
      });
    } else if (type === 'alias') {
      findings.push({
        category: 'dependency',
        rule: 'dependency/alias-dependency',
        severity: 'medium',
        file,
        evidence,
        message: `${kind} "${name}" is an alias for another package (${clip(spec, 80)})`,
      });
    } else if (!old && !before.has(`dependencies:${name}`) && !before.has(`optionalDependencies:${name}`)) {
      findings.push({
        category: 'dependency',
        rule: 'dependency/new-dependency',
        severity: 'low',
        file,
        evidence,
        message: `adds the ${kind === 'dependencies' ? 'dependency' : kind.replace(/ies$/, 'y')} "${name}"`,
      });
    }
  }
  return findings;
}
