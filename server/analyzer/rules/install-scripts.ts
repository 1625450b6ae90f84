import { clip } from '../evidence';
import { effectiveManifest, type PackageView } from '../package-view';
import type { Finding } from '../types';

/** Lifecycle events npm runs when a package is installed (prepare*: for git and local installs). */
export const INSTALL_EVENTS = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare'] as const;
export type InstallEvent = (typeof INSTALL_EVENTS)[number];

/** The script npm adds when a root binding.gyp exists and no (pre)install script is set. */
export const IMPLICIT_GYP = 'node-gyp rebuild';

/**
 * What runs at install, computed the way npm computes it: declared scripts of the tarball's
 * package.json and of the registry manifest, plus the implicit `node-gyp rebuild`.
 */
export function installScriptsOf(view: PackageView): Map<InstallEvent, { command: string; implicit: boolean }> {
  const out = new Map<InstallEvent, { command: string; implicit: boolean }>();
  for (const m of [view.packageJson, view.registry]) {
    for (const event of INSTALL_EVENTS) {
      const command = m?.scripts?.[event];
      if (typeof command === 'string' && command.trim() && !out.has(event)) out.set(event, { command, implicit: false });
    }
  }
  const manifest = effectiveManifest(view);
  if (view.byPath.has('binding.gyp') && manifest.gypfile !== false && !out.has('install') && !out.has('preinstall')) {
    out.set('install', { command: IMPLICIT_GYP, implicit: true });
  }
  return out;
}

/** Shell expansions (`<!(cmd)`, `<!@(cmd)`) in binding.gyp: gyp runs them at configure time. */
export function gypCommands(view: PackageView): string[] {
  const gyp = view.byPath.get('binding.gyp');
  if (!gyp) return [];
  return [...gyp.text().matchAll(/<!@?\(([^)]{0,500})\)/g)].map((m) => m[1]!.trim());
}

/** An install script that is new or changed; the caller weighs it with what its targets can do. */
export interface InstallChange {
  readonly event: InstallEvent;
  readonly command: string;
  readonly implicit: boolean;
  readonly change: 'new' | 'changed';
}

/** Install scripts added or changed since `prev`. */
export function installChanges(prev: PackageView | null, next: PackageView): InstallChange[] {
  const before = prev ? installScriptsOf(prev) : new Map();
  const out: InstallChange[] = [];
  for (const [event, { command, implicit }] of installScriptsOf(next)) {
    const old = before.get(event);
    if (old?.command === command) continue;
    out.push({ event, command, implicit, change: old ? 'changed' : 'new' });
  }
  return out;
}

/** Findings for new/changed install scripts, critical when what they run reaches `reach`. */
export function installFindings(changes: readonly InstallChange[], reach: readonly string[]): Finding[] {
  return changes.map((c) => {
    const critical = reach.length > 0;
    const what = critical ? `; what it runs reaches ${reach.slice(0, 5).join(', ')}` : '';
    if (c.implicit) {
      return { category: 'install-script', rule: 'install-script/new-implicit-node-gyp', severity: critical ? 'critical' : 'high', file: 'binding.gyp',
        evidence: IMPLICIT_GYP, message: `a root binding.gyp makes npm run "node-gyp rebuild" at install (native code is compiled and run)${what}` };
    }
    // prepare* runs only for git/local installs, never for a registry tarball: weighed lower
    const prepare = c.event.endsWith('prepare');
    const severity = critical ? 'critical' : prepare ? (c.change === 'new' ? 'medium' : 'low') : 'high';
    return { category: 'install-script', rule: `install-script/${c.change}-${c.event}`, severity, file: 'package.json',
      evidence: clip(c.command), message: `${c.change === 'new' ? 'adds' : 'changes'} the ${c.event} script, which npm runs on every install${what}` };
  });
}

/** New shell expansions in binding.gyp. */
export function gypFindings(prev: PackageView | null, next: PackageView): Finding[] {
  const before = new Set(prev ? gypCommands(prev) : []);
  return gypCommands(next).filter((c) => !before.has(c)).map((c) => ({
    category: 'install-script', rule: 'install-script/gyp-command', severity: 'high', file: 'binding.gyp', evidence: clip(c),
    message: 'binding.gyp runs a shell command while the package is built at install',
  }));
}
