import { clip } from '../evidence';
import type { PackageView } from '../package-view';
import type { Finding, Manifest } from '../types';

/** Lifecycle events npm runs when a package is installed (prepare*: for git and local installs). */
export const INSTALL_EVENTS = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare'] as const;
export type InstallEvent = (typeof INSTALL_EVENTS)[number];

/** The script npm adds when a root binding.gyp exists and no (pre)install script is set. */
export const IMPLICIT_GYP = 'node-gyp rebuild';

/** One script npm runs at install, in the package itself (`where` = '') or in a bundled dependency. */
export interface InstallScript {
  /** Folder of the package the script belongs to: '' for the package, `node_modules/x` for a bundled one. */
  readonly where: string;
  readonly event: InstallEvent;
  readonly command: string;
  readonly implicit: boolean;
}

const BUNDLED_PACKAGE_JSON = /^((?:.+\/)?node_modules\/(?:@[^/]+\/)?[^/@][^/]*)\/package\.json$/;

function readJson(view: PackageView, path: string): Manifest | null {
  const file = view.byPath.get(path);
  if (!file) return null;
  try {
    const value: unknown = JSON.parse(file.text().replace(/^\uFEFF/, ''));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Manifest) : null;
  } catch {
    return null;
  }
}

/** Scripts of one package folder, computed the way npm computes them (implicit `node-gyp rebuild` included). */
function scriptsIn(view: PackageView, where: string, manifests: ReadonlyArray<Manifest | null>): InstallScript[] {
  const out = new Map<InstallEvent, InstallScript>();
  for (const m of manifests) {
    for (const event of INSTALL_EVENTS) {
      const command = m?.scripts?.[event];
      if (typeof command === 'string' && command.trim() && !out.has(event)) out.set(event, { where, event, command, implicit: false });
    }
  }
  const gypfile = manifests.find((m) => m)?.gypfile;
  if (
    view.byPath.has(where ? `${where}/binding.gyp` : 'binding.gyp') &&
    gypfile !== false &&
    !out.has('install') &&
    !out.has('preinstall')
  ) {
    out.set('install', { where, event: 'install', command: IMPLICIT_GYP, implicit: true });
  }
  return [...out.values()];
}

/**
 * What runs at install: the scripts of the tarball's package.json and of the registry manifest, the
 * implicit `node-gyp rebuild`, and the same for every package bundled in the tarball (npm runs those too).
 */
export function installScriptsOf(view: PackageView): InstallScript[] {
  const out = scriptsIn(view, '', [view.packageJson, view.registry]);
  for (const path of view.byPath.keys()) {
    const bundled = BUNDLED_PACKAGE_JSON.exec(path);
    if (bundled) out.push(...scriptsIn(view, bundled[1]!, [readJson(view, path)]));
  }
  return out;
}

/** An install script that is new or changed; the caller weighs it with what its targets can do. */
export interface InstallChange extends InstallScript {
  readonly change: 'new' | 'changed';
}

/** Install scripts added or changed since `prev`. */
export function installChanges(prev: PackageView | null, next: PackageView): InstallChange[] {
  const before = new Map((prev ? installScriptsOf(prev) : []).map((s) => [`${s.where}:${s.event}`, s]));
  const out: InstallChange[] = [];
  for (const script of installScriptsOf(next)) {
    const old = before.get(`${script.where}:${script.event}`);
    if (old?.command === script.command) continue;
    out.push({ ...script, change: old ? 'changed' : 'new' });
  }
  return out;
}

/** Findings for new/changed install scripts, critical when what they run reaches `reach`. */
export function installFindings(changes: readonly InstallChange[], reach: readonly string[]): Finding[] {
  return changes.map((c) => {
    const critical = reach.length > 0;
    const what = critical ? `; what it runs reaches ${reach.slice(0, 5).join(', ')}` : '';
    const bundled = c.where ? ` of the bundled package ${c.where}` : '';
    if (c.implicit) {
      return {
        category: 'install-script',
        rule: 'install-script/new-implicit-node-gyp',
        severity: critical ? 'critical' : 'high',
        file: c.where ? `${c.where}/binding.gyp` : 'binding.gyp',
        evidence: IMPLICIT_GYP,
        message: `a binding.gyp${bundled} makes npm run "node-gyp rebuild" at install (native code is compiled and run)${what}`,
      };
    }
    // prepare* runs only for git/local installs, never for a registry tarball: weighed lower
    const prepare = c.event.endsWith('prepare');
    const severity = critical ? 'critical' : prepare ? (c.change === 'new' ? 'medium' : 'low') : 'high';
    return {
      category: 'install-script',
      rule: `install-script/${c.change}-${c.event}`,
      severity,
      file: c.where ? `${c.where}/package.json` : 'package.json',
      evidence: clip(c.command),
      message: `${c.change === 'new' ? 'adds' : 'changes'} the ${c.event} script${bundled}, which npm runs on every install${what}`,
    };
  });
}
