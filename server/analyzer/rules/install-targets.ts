import { binsOf } from '../loadable/entry-points';
import { loadsAsData, resolveFile } from '../loadable/resolve';
import type { PackageView } from '../package-view';
import type { Manifest } from '../types';

const JS_RUNNERS = new Set(['node', 'nodejs', 'bun', 'deno', 'tsx', 'ts-node', 'esno', 'esrun']);
const SHELL_RUNNERS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh']);
const OTHER_RUNNERS = new Set(['python', 'python3', 'perl', 'ruby']);
const PACKAGE_RUNNERS = new Set(['npm', 'yarn', 'pnpm', 'bun']);
const PREFIXES = new Set(['npx', 'exec', 'env', 'command', 'nohup', 'time', 'sudo', 'cross-env']);

/** A file an install command runs, and how: as JavaScript whatever its name, as a shell script, or by its own shebang. */
export interface CommandFile {
  readonly path: string;
  readonly as: 'js' | 'shell' | 'auto';
}

/** Files and inline code an install command runs. */
export interface CommandTargets {
  readonly files: CommandFile[];
  readonly inlineCode: string[];
}

function tokens(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** Every word of a command that could name a program (`node`, `node-gyp`, `./x.sh`), for bin shadowing. */
export function commandWords(command: string): string[] {
  return command
    .split(/&&|\|\||[;|&()]/)
    .flatMap((segment) => tokens(segment))
    .filter((w) => /^[A-Za-z0-9._@/-]+$/.test(w) && !w.startsWith('-'));
}

/**
 * The package files (and `node -e` code) a script command runs, with `where` the folder of the
 * package the script belongs to: files run by a runner, the package's own bins, and the scripts
 * `npm run x` reaches.
 */
export function commandTargets(
  view: PackageView,
  command: string,
  where = '',
  manifest: Manifest | null = null,
  depth = 0,
): CommandTargets {
  const files: CommandFile[] = [];
  const inlineCode: string[] = [];
  const at = (p: string) => (where ? `${where}/${p}` : p);
  const bins = where === '' ? binsOf(view) : new Map<string, string>();
  const scripts = (manifest ?? (where === '' ? (view.packageJson ?? view.registry) : null))?.scripts ?? {};
  for (const segment of command.split(/&&|\|\||[;|&()]/)) {
    const words = tokens(segment).filter((w) => !/^\w+=/.test(w));
    while (words.length > 0 && PREFIXES.has(words[0]!)) words.shift();
    const [first, ...rest] = words;
    if (!first) continue;
    if (JS_RUNNERS.has(first) || SHELL_RUNNERS.has(first) || OTHER_RUNNERS.has(first)) {
      if (PACKAGE_RUNNERS.has(first) && rest[0] && !rest[0].startsWith('-') && !resolveFile(view, at(rest[0]))) {
        // `bun x` / `bun run` handled below with the package runners
      } else {
        for (let i = 0; i < rest.length; i++) {
          const w = rest[i]!;
          if (w === '-e' || w === '--eval' || w === '-p' || w === '--print' || w === '-c') {
            if (rest[i + 1]) {
              if (SHELL_RUNNERS.has(first)) inlineCode.push(...commandTargets(view, rest[i + 1]!, where, manifest, depth + 1).inlineCode);
              else if (JS_RUNNERS.has(first)) inlineCode.push(rest[i + 1]!);
            }
            break;
          }
          if (w.startsWith('-')) continue;
          const found = resolveFile(view, at(w));
          if (found)
            files.push({
              path: found,
              as: JS_RUNNERS.has(first) && !loadsAsData(found) ? 'js' : SHELL_RUNNERS.has(first) ? 'shell' : 'auto',
            });
          break;
        }
        continue;
      }
    }
    if (PACKAGE_RUNNERS.has(first) && depth < 8) {
      // `npm run x`, `npm run-script x`, `yarn x`, `pnpm x`: the package's own script x runs too
      const args = rest.filter((w) => !w.startsWith('-'));
      const name = args[0] === 'run' || args[0] === 'run-script' ? args[1] : first === 'npm' ? undefined : args[0];
      const script = name ? scripts[name] : undefined;
      if (typeof script === 'string') {
        const inner = commandTargets(view, script, where, manifest, depth + 1);
        files.push(...inner.files);
        inlineCode.push(...inner.inlineCode);
      }
      continue;
    }
    const bin = bins.get(first);
    const found = bin !== undefined ? resolveFile(view, bin) : resolveFile(view, at(first));
    if (found) files.push({ path: found, as: bin !== undefined && !loadsAsData(found) ? 'js' : 'auto' });
  }
  return { files, inlineCode };
}
