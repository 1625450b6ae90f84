import type { PackageView } from '../package-view';

/** Extensions Node's CommonJS loader tries, in its order; any other file loads as JavaScript too. */
const EXTENSIONS = ['.js', '.json', '.node', '.cjs', '.mjs'];

/** Collapses `.`/`..` segments of a package-relative path; null when it climbs out of the package. */
export function normalizePath(path: string): string | null {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

function directoryMain(view: PackageView, dir: string, depth: number): string | undefined {
  const pkg = view.byPath.get(dir ? `${dir}/package.json` : 'package.json');
  if (pkg && depth < 4) {
    try {
      const main = (JSON.parse(pkg.text()) as { main?: unknown }).main;
      if (typeof main === 'string' && main.trim()) {
        const target = resolveFile(view, dir ? `${dir}/${main}` : main, depth + 1);
        if (target) return target;
      }
    } catch {
      // a directory package.json that does not parse: Node falls back to index.js as well
    }
  }
  for (const ext of EXTENSIONS) {
    const index = `${dir ? `${dir}/` : ''}index${ext}`;
    if (view.byPath.has(index)) return index;
  }
  return undefined;
}

/**
 * Resolves a package-relative path the way Node's loader does: the file itself (whatever its
 * extension), then the known extensions, then a folder's package.json `main` and `index.*`.
 */
export function resolveFile(view: PackageView, path: string, depth = 0): string | undefined {
  const base = normalizePath(path);
  if (base === null) return undefined;
  if (base !== '' && view.byPath.has(base)) return base;
  for (const ext of EXTENSIONS) if (base !== '' && view.byPath.has(base + ext)) return base + ext;
  return directoryMain(view, base, depth);
}

/** Resolves a relative specifier written in `from` (a package file). */
export function resolveRelative(view: PackageView, from: string, spec: string): string | undefined {
  const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/')) : '';
  return resolveFile(view, dir ? `${dir}/${spec}` : spec);
}

/** True when Node would not run the file as JavaScript: JSON data or a native addon. */
export function loadsAsData(path: string): boolean {
  return /\.(json|node)$/i.test(path);
}
