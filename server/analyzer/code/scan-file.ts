import { parse, type ParserPlugin } from '@babel/parser';
import { parseSync } from 'oxc-parser';
import { scanAst } from './scan-ast';
import { lineIndex, scanText } from './scan-text';
import { SignalSink, type FileScan } from './signal';
import type { AstNode } from './walk';

/** How a file is read: as JavaScript/TypeScript, as a shell script, or not at all. */
export type FileKind = 'js' | 'ts' | 'shell' | 'other';

/** Decides how to scan a file from its name and first bytes. */
export function kindOf(path: string, head: string): FileKind {
  if (/\.d\.[cm]?ts$/.test(path)) return 'other';
  if (/\.(c|m)?jsx?$/.test(path)) return 'js';
  if (/\.(c|m)?tsx?$/.test(path)) return 'ts';
  if (/\.(sh|bash|command|ps1|bat|cmd)$/.test(path)) return 'shell';
  if (head.startsWith('#!')) return /\b(node|bun|deno)\b/.test(head.slice(0, 100)) ? 'js' : 'shell';
  return 'other';
}

function tryParse(text: string, plugins: ParserPlugin[], sourceType: 'module' | 'script' | 'unambiguous'): AstNode | null {
  try {
    const file = parse(text, {
      sourceType,
      errorRecovery: true,
      allowReturnOutsideFunction: true,
      allowImportExportEverywhere: true,
      allowAwaitOutsideFunction: true,
      allowSuperOutsideMethod: true,
      allowUndeclaredExports: true,
      plugins,
    });
    return file.program as unknown as AstNode;
  } catch {
    return null;
  }
}

/** Which parser reads code first: oxc (Rust, several times faster), or Babel alone (for comparison in the bench). */
export type ParserChoice = 'oxc' | 'babel';
let first: ParserChoice = 'oxc';

/** Chooses the first parser (the bench compares both on the same files); Babel remains the fallback of oxc. */
export function useParser(choice: ParserChoice): void {
  first = choice;
}

/** oxc's ESTree program when it reads the text without a single error, else null (Babel then tries). */
function tryOxc(text: string, kind: 'js' | 'ts', path: string): AstNode | null {
  const lang = kind === 'ts' ? (path.endsWith('x') ? 'tsx' : 'ts') : 'jsx';
  try {
    const result = parseSync(kind === 'ts' ? 'file.ts' : 'file.js', text, {
      lang,
      sourceType: path.endsWith('.mjs') || path.endsWith('.mts') ? 'module' : 'unambiguous',
    });
    return result.errors.length === 0 ? (result.program as unknown as AstNode) : null;
  } catch {
    return null;
  }
}

/** Parses with a real parser; if no configuration accepts the text, falls back to patterns. */
export function scanCode(text: string, kind: FileKind, path = ''): FileScan {
  const sink = new SignalSink();
  if (kind === 'shell') {
    scanText(text, sink, { shell: true });
    return { signals: sink.signals, relativeImports: sink.relativeImports, parsed: true };
  }
  if (first === 'oxc' && (kind === 'js' || kind === 'ts')) {
    const program = tryOxc(text, kind, path);
    if (program) {
      scanAst(program, sink, lineIndex(text));
      return { signals: sink.signals, relativeImports: sink.relativeImports, parsed: true };
    }
  }
  const sourceType = path.endsWith('.mjs') || path.endsWith('.mts') ? 'module' : 'unambiguous';
  const attempts: ParserPlugin[][] =
    kind === 'ts'
      ? [['typescript', ...(path.endsWith('x') ? ['jsx' as const] : [])], ['typescript']]
      : [['jsx'], [], ['flow', 'jsx'], ['typescript']];
  for (const plugins of attempts) {
    const program = tryParse(text, plugins, sourceType);
    if (program) {
      scanAst(program, sink);
      return { signals: sink.signals, relativeImports: sink.relativeImports, parsed: true };
    }
  }
  scanText(text, sink);
  return { signals: sink.signals, relativeImports: sink.relativeImports, parsed: false };
}
