import { kindOf, type FileKind } from '../code/scan-file';
import type { FileScan } from '../code/signal';
import type { FileView, PackageView } from '../package-view';
import { installScriptsOf } from '../rules/install-scripts';
import { commandTargets, type CommandFile } from '../rules/install-targets';
import { entryFiles } from './entry-points';
import { loadsAsData, resolveRelative } from './resolve';

/** Scans one file as the given kind (memoised by kind and content). */
export type ScanAs = (file: FileView, kind: FileKind) => FileScan | null;

/** Which files of a side Node (or an install script) loads, and how each must be read. */
export interface LoadPlan {
  /** path → how the file is read, for every file reached from an entry point or install script. */
  readonly kinds: Map<string, FileKind>;
  /** Files install scripts run, directly or through requires. */
  readonly installFiles: ReadonlySet<string>;
  /** Inline code (`node -e …`) and the commands themselves, of every install script. */
  readonly inlineCode: readonly string[];
  readonly commands: readonly string[];
}

/** How a file reached through `require`/`import` is read: Node runs anything but JSON and addons as JavaScript. */
export function requiredKind(path: string): FileKind {
  if (loadsAsData(path)) return 'other';
  return /\.(c|m)?tsx?$/.test(path) && !/\.d\.[cm]?ts$/.test(path) ? 'ts' : 'js';
}

function commandKind(view: PackageView, target: CommandFile): FileKind {
  if (target.as === 'js') return requiredKind(target.path);
  if (target.as === 'shell') return 'shell';
  const file = view.byPath.get(target.path)!;
  const kind = kindOf(target.path, file.text().slice(0, 200));
  return kind === 'other' ? 'shell' : kind; // a file run directly without a shebang is run by sh
}

/**
 * Follows requires from `roots` (path → kind), reading every reached file as `requiredKind` says,
 * and adds what it reaches to `kinds`. Returns the paths reached.
 */
export function follow(
  view: PackageView,
  roots: ReadonlyMap<string, FileKind>,
  kinds: Map<string, FileKind>,
  scan: ScanAs,
  max = 5000,
): Set<string> {
  const reached = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0 && reached.size < max) {
    const [path, kind] = queue.shift()!;
    if (reached.has(path)) continue;
    reached.add(path);
    if (!kinds.has(path)) kinds.set(path, kind);
    const file = view.byPath.get(path);
    if (!file || kind === 'other') continue;
    for (const spec of scan(file, kinds.get(path)!)?.relativeImports ?? []) {
      const found = resolveRelative(view, path, spec);
      if (found && !reached.has(found)) queue.push([found, requiredKind(found)]);
    }
  }
  return reached;
}

/**
 * The load plan of a side: install scripts and, with `entries`, entry points (main, bins, every
 * exports condition), and all they require.
 */
export function loadPlan(view: PackageView, scan: ScanAs, entries = true): LoadPlan {
  const kinds = new Map<string, FileKind>();
  const installRoots = new Map<string, FileKind>();
  const inlineCode: string[] = [];
  const commands: string[] = [];
  for (const script of installScriptsOf(view)) {
    commands.push(script.command);
    const targets = commandTargets(view, script.command, script.where);
    for (const t of targets.files) installRoots.set(t.path, commandKind(view, t));
    inlineCode.push(...targets.inlineCode);
  }
  const installFiles = follow(view, installRoots, kinds, scan);
  const entryRoots = new Map<string, FileKind>();
  for (const path of entries ? entryFiles(view) : []) {
    if (kinds.has(path)) continue;
    // a bin with a shell shebang is run by that shell; everything else an entry point names, Node loads
    const head = view.byPath.get(path)!.text().slice(0, 200);
    entryRoots.set(path, head.startsWith('#!') && kindOf(path, head) === 'shell' ? 'shell' : requiredKind(path));
  }
  follow(view, entryRoots, kinds, scan);
  return { kinds, installFiles, inlineCode, commands };
}
