import type { SignalSink } from './signal';
import { classifyString, isTokenName } from './strings';

/** Maps a character offset to a 1-based line number. */
export function lineIndex(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! };
  };
}

const REQUIRE_RE = /\b(?:require|import)\s*\(\s*['"`]([^'"`]{1,200})['"`]|\bfrom\s*['"]([^'"]{1,200})['"]/g;
const STRING_RE = /'([^'\\\n]|\\.){4,2000}'|"([^"\\\n]|\\.){4,2000}"|`[^`]{4,2000}`/g;
const ENV_RE = /process\.env(?:\.([A-Z0-9_]+)|\[\s*['"]([A-Z0-9_]+)['"]\s*\])/g;
const EVAL_RE = /\beval\s*\(|\bnew\s+Function\s*\(/g;
const HEX_ID_RE = /\b_0x[0-9a-f]{3,}\b/gi;

/**
 * Text fallback for code no parser accepts, shell scripts and script commands: the same
 * capabilities found by patterns instead of an AST (more false positives, none hidden).
 */
export function scanText(text: string, sink: SignalSink, opts: { readonly shell?: boolean } = {}): void {
  const at = lineIndex(text);
  for (const m of text.matchAll(REQUIRE_RE)) {
    const spec = m[1] ?? m[2]!;
    sink.moduleReference(spec, at(m.index!));
  }
  for (const m of text.matchAll(ENV_RE)) {
    const name = m[1] ?? m[2]!;
    if (isTokenName(name))
      sink.add({
        key: `token:${name}`,
        category: 'credentials',
        rule: 'credentials/token-name',
        severity: 'high',
        message: `reads the secret ${name} from the environment`,
        ...at(m.index!),
      });
  }
  for (const m of text.matchAll(EVAL_RE)) {
    sink.add({
      key: 'exec:eval',
      category: 'dynamic-code',
      rule: 'dynamic-code/eval-computed',
      severity: 'high',
      message: 'runs a string as code (eval / new Function) in code the parser could not read',
      ...at(m.index!),
    });
  }
  const hex = new Set<string>();
  for (const m of text.matchAll(HEX_ID_RE)) {
    if (hex.size >= 5) {
      sink.add({
        key: 'hex-identifiers',
        category: 'obfuscation',
        rule: 'obfuscation/hex-identifiers',
        severity: 'high',
        message: 'uses _0x-style mangled identifiers, the signature of javascript-obfuscator',
        ...at(m.index!),
      });
      break;
    }
    hex.add(m[0]);
  }
  if (opts.shell) {
    // in a shell script every line is a command
    let offset = 0;
    for (const line of text.split('\n')) {
      classifyString(line, { ...at(offset), decoded: false }, sink);
      offset += line.length + 1;
    }
    return;
  }
  for (const m of text.matchAll(STRING_RE)) {
    classifyString(m[0].slice(1, -1), { ...at(m.index!), decoded: false }, sink);
  }
}
