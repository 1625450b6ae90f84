import { clip } from '../evidence';
import { gypCommandsOf } from '../gyp/gyp-commands';
import type { PackageView } from '../package-view';
import type { Finding } from '../types';

const WHAT = {
  expansion: 'a command expansion, which gyp runs in a shell',
  pymod_do_main: 'a pymod_do_main call, which runs a Python module',
  action: 'a build action, which node-gyp runs as a command',
} as const;

/**
 * New or changed commands in the package's gyp files (any .gyp/.gypi, included ones too): each runs
 * while node-gyp builds the package at install. A command counts as known only when the previous
 * version had the same command text in the same file.
 */
export function gypFindings(prev: PackageView | null, next: PackageView): Finding[] {
  const before = prev ? gypCommandsOf(prev) : { commands: [], unreadable: [] };
  const known = new Set(before.commands.map((c) => `${c.file}\u0000${c.command}`));
  const now = gypCommandsOf(next);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const c of now.commands) {
    const id = `${c.file}\u0000${c.command}`;
    if (known.has(id) || seen.has(id)) continue;
    seen.add(id);
    findings.push({
      category: 'install-script',
      rule: 'install-script/gyp-command',
      severity: 'high',
      file: c.file,
      evidence: clip(c.command),
      message: `${c.file} has ${WHAT[c.kind]} that it did not have before; it runs while the package is built at install`,
    });
  }
  const unreadableBefore = new Set(before.unreadable);
  for (const file of now.unreadable) {
    if (unreadableBefore.has(file) && prev?.byPath.get(file)?.hash === next.byPath.get(file)?.hash) continue;
    findings.push({
      category: 'install-script',
      rule: 'install-script/gyp-unreadable',
      severity: 'medium',
      file,
      message: `${file} is not a Python literal gyp could read; only its command expansions could be checked`,
    });
  }
  return findings;
}
