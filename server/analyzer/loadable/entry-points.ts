import { effectiveManifest, type PackageView } from '../package-view';
import type { Manifest } from '../types';
import { normalizePath, resolveFile } from './resolve';

/** The commands a package installs (`bin`, or every file of `directories.bin`), name → package path. */
export function binsOf(view: PackageView | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!view) return out;
  for (const m of [view.packageJson, view.registry]) {
    if (!m) continue;
    if (typeof m.bin === 'string') {
      const name =
        String(m.name ?? '')
          .split('/')
          .pop() ?? '';
      if (!out.has(name)) out.set(name, m.bin);
    } else if (m.bin && typeof m.bin === 'object') {
      for (const [name, target] of Object.entries(m.bin)) if (typeof target === 'string' && !out.has(name)) out.set(name, target);
    }
    const dir = (m.directories as { bin?: unknown } | undefined)?.bin;
    if (typeof dir === 'string' && !m.bin) {
      const prefix = normalizePath(dir);
      if (prefix === null) continue;
      for (const path of view.byPath.keys()) {
        if (prefix !== '' && path.startsWith(`${prefix}/`) && !out.has(path.split('/').pop()!)) out.set(path.split('/').pop()!, path);
      }
    }
  }
  return out;
}

/** Every string target of an `exports` or `imports` map, whatever the condition. */
function mapTargets(value: unknown, out: string[], depth = 0): void {
  if (depth > 20) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) mapTargets(v, out, depth + 1);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) mapTargets(v, out, depth + 1);
}

/** Files matched by an export target, which may hold one `*` standing for any text (slashes too). */
function expandTarget(view: PackageView, target: string): string[] {
  if (!target.startsWith('./')) return [];
  if (!target.includes('*')) {
    const found = resolveFile(view, target);
    return found ? [found] : [];
  }
  const pattern = normalizePath(target.replace(/\*/g, '\u0000'));
  if (pattern === null) return [];
  const re = new RegExp(
    `^${pattern
      .split('\u0000')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return [...view.byPath.keys()].filter((p) => re.test(p));
}

/** Package files Node loads from outside: main, every bin, every `exports`/`imports` target of any condition. */
export function entryFiles(view: PackageView): string[] {
  const found = new Set<string>();
  for (const m of [view.packageJson, view.registry] as Array<Manifest | null>) {
    if (!m) continue;
    const main = typeof m.main === 'string' && m.main.trim() ? m.main : 'index.js';
    const file = resolveFile(view, main);
    if (file) found.add(file);
    for (const target of binsOf(view).values()) {
      const bin = resolveFile(view, target);
      if (bin) found.add(bin);
    }
    const targets: string[] = [];
    mapTargets(m.exports, targets);
    mapTargets(m.imports, targets);
    for (const t of targets) for (const f of expandTarget(view, t)) found.add(f);
  }
  if (found.size === 0) {
    const fallback = resolveFile(view, String(effectiveManifest(view).main ?? 'index.js'));
    if (fallback) found.add(fallback);
  }
  return [...found];
}
