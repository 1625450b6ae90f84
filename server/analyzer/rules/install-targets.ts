import type { PackageView } from '../package-view';

const RUNNERS = new Set(['node', 'nodejs', 'bun', 'deno', 'sh', 'bash', 'zsh', 'python', 'python3', 'tsx', 'ts-node']);
const RESOLVE_SUFFIXES = ['', '.js', '.cjs', '.mjs', '.ts', '/index.js', '/index.cjs'];

/** Files and inline code an install command runs. */
export interface CommandTargets {
  readonly files: string[];
  readonly inlineCode: string[];
}

function normalize(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

function resolve(view: PackageView, path: string): string | undefined {
  const base = normalize(path);
  for (const suffix of RESOLVE_SUFFIXES) if (view.byPath.has(base + suffix)) return base + suffix;
  return undefined;
}

function tokens(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** The package files (and `node -e` code) a script command runs. */
export function commandTargets(view: PackageView, command: string): CommandTargets {
  const files: string[] = [];
  const inlineCode: string[] = [];
  for (const segment of command.split(/&&|\|\||[;|&]/)) {
    const words = tokens(segment).filter((w) => !/^\w+=/.test(w));
    while (words[0] === 'npx' || words[0] === 'exec' || words[0] === 'env') words.shift();
    const [first, ...rest] = words;
    if (!first) continue;
    if (RUNNERS.has(first)) {
      for (let i = 0; i < rest.length; i++) {
        const w = rest[i]!;
        if (w === '-e' || w === '--eval' || w === '-p' || w === '--print' || w === '-c') {
          if (rest[i + 1]) inlineCode.push(rest[i + 1]!);
          break;
        }
        if (w.startsWith('-')) continue;
        const found = resolve(view, w);
        if (found) files.push(found);
        break;
      }
    } else {
      const found = resolve(view, first);
      if (found) files.push(found);
    }
  }
  return { files, inlineCode };
}

/** Every file reachable from `roots` through relative requires/imports, within the package. */
export function reachableFiles(view: PackageView, roots: readonly string[], importsOf: (path: string) => readonly string[], max = 500): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0 && seen.size < max) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    for (const spec of importsOf(path)) {
      const found = resolve(view, dir ? `${dir}/${spec}` : spec);
      if (found && !seen.has(found)) queue.push(found);
    }
  }
  return [...seen];
}
