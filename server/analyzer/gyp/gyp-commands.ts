import type { PackageView } from '../package-view';
import { parseGyp, type GypValue } from './parse-gyp';

/** A command a gyp file makes node-gyp run while the package is built at install. */
export interface GypCommand {
  readonly file: string;
  /** What kind of command: a `<!(…)` style expansion, `pymod_do_main`, or a target/rule `action`. */
  readonly kind: 'expansion' | 'pymod_do_main' | 'action';
  readonly command: string;
}

// gyp's command expansions: `<!(`, `<!@(`, `>!(`, `>!@(`, `^!(`, `^!@(`, optionally naming a command
// string such as pymod_do_main between the `!`/`@` and the parenthesis.
const EXPANSION = /[<>^]!@?([-a-zA-Z0-9_.]+)?\(/g;

/** The text inside the parenthesis that opens at `open`, balanced as gyp balances it. */
function balanced(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1); // unbalanced: gyp errors out, but what is there is still a command
}

/** Command expansions inside one string of a gyp file. */
export function expansionsIn(text: string): Array<{ kind: 'expansion' | 'pymod_do_main'; command: string }> {
  const out: Array<{ kind: 'expansion' | 'pymod_do_main'; command: string }> = [];
  EXPANSION.lastIndex = 0;
  for (let m = EXPANSION.exec(text); m; m = EXPANSION.exec(text)) {
    const content = balanced(text, m.index + m[0].length - 1).trim();
    out.push(
      m[1] === 'pymod_do_main'
        ? { kind: 'pymod_do_main', command: `pymod_do_main(${content})` }
        : { kind: 'expansion', command: m[1] ? `${m[1]} ${content}` : content },
    );
  }
  return out;
}

function commandText(value: GypValue): string {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function walk(value: GypValue, file: string, key: string | null, out: GypCommand[], depth = 0): void {
  if (depth > 200) return;
  if (typeof value === 'string') {
    for (const e of expansionsIn(value)) out.push({ file, ...e });
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) walk(v, file, key, out, depth + 1);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    for (const e of expansionsIn(k)) out.push({ file, ...e });
    // every `action` list (target actions, rules, postbuilds) is a command node-gyp's build runs
    if (k === 'action' && (Array.isArray(v) || typeof v === 'string')) out.push({ file, kind: 'action', command: commandText(v) });
    walk(v, file, k, out, depth + 1);
  }
}

/** Every command in every .gyp/.gypi file of the package; a file gyp cannot read yields its raw expansions and `unreadable`. */
export function gypCommandsOf(view: PackageView): { commands: GypCommand[]; unreadable: string[] } {
  const commands: GypCommand[] = [];
  const unreadable: string[] = [];
  for (const file of view.byPath.values()) {
    if (!/\.gypi?$/i.test(file.path)) continue;
    try {
      walk(parseGyp(file.text()), file.path, null, commands);
    } catch {
      unreadable.push(file.path);
      for (const e of expansionsIn(file.text())) commands.push({ file: file.path, ...e });
    }
  }
  return { commands, unreadable };
}
