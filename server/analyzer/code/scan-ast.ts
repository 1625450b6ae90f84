import { Folder, memberName, stringLiteral, type Folded } from './fold';
import type { SignalSink } from './signal';
import { classifyDecoded, classifyString, isTokenName } from './strings';
import { some, walk, type AstNode } from './walk';

// biome-ignore lint/suspicious/noExplicitAny: ESTree nodes from two parsers (oxc, Babel) are read by field name; each read is checked at run time.
type N = AstNode & Record<string, any>;

const NETWORK_GLOBALS = new Set(['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource']);
const VM_CALLS = new Set(['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction']);
const ENUMERATORS = new Set(['keys', 'entries', 'values', 'stringify', 'assign', 'getOwnPropertyNames']);
const HEX_ID = /^_0x[0-9a-f]{3,}$/i;

/** Maps a character offset to a 1-based line and a column (for ASTs that carry offsets, not lines). */
export type Locate = (offset: number) => { line: number; column: number };

// The locator of the program being scanned (ESTree ASTs carry offsets; Babel's carry lines).
let locate: Locate | null = null;

function pos(node: N): { line: number; column: number; endLine: number } {
  if (!node.loc && locate && typeof node.start === 'number') {
    const start = locate(node.start as number);
    const endLine = typeof node.end === 'number' ? locate(node.end as number).line : start.line;
    return { line: start.line, column: start.column, endLine };
  }
  const line = node.loc?.start.line ?? 0;
  return { line, column: node.loc?.start.column ?? 0, endLine: node.loc?.end?.line ?? line };
}

function propName(member: N): string | undefined {
  return memberName(member);
}

function isProcessEnv(node: N | undefined): boolean {
  return (
    !!node &&
    node.type === 'MemberExpression' &&
    node.object?.type === 'Identifier' &&
    node.object.name === 'process' &&
    propName(node) === 'env'
  );
}

// Calls that load a module: require(x), module.require(x), Module._load(x), createRequire(…)(x), import(x).
const LOADERS = new Set(['require', '_load', '_resolveFilename', 'createRequire']);
// Internal bindings that start processes without child_process (process.binding('spawn_sync')).
const PROCESS_BINDINGS = new Set(['spawn_sync', 'process_wrap', 'pipe_wrap']);

function isLoaderCall(callee: N, folder: Folder): boolean {
  if (callee.type === 'Import') return true;
  if (callee.type === 'Identifier') return callee.name === 'require';
  if (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') {
    const name = memberName(callee, folder);
    return name === 'require' || name === '_load';
  }
  // createRequire(import.meta.url)(x)
  if (callee.type === 'CallExpression') {
    const inner = callee.callee as N;
    return (
      (inner.type === 'Identifier' && inner.name === 'createRequire') ||
      (inner.type === 'MemberExpression' && LOADERS.has(memberName(inner, folder) ?? ''))
    );
  }
  return false;
}

/** A module specifier, folding `__dirname + '/x'` and `path.join(__dirname, 'x')` into './x'. */
function moduleSpec(node: N | undefined, folder: Folder): Folded | null {
  if (!node) return null;
  const direct = folder.string(node);
  if (direct) return direct;
  if (node.type === 'BinaryExpression' && node.operator === '+' && node.left?.type === 'Identifier' && node.left.name === '__dirname') {
    const rest = folder.string(node.right);
    return rest ? { value: `.${rest.value.startsWith('/') ? '' : '/'}${rest.value}`, decoded: rest.decoded } : null;
  }
  if (
    node.type === 'CallExpression' &&
    node.callee?.type === 'MemberExpression' &&
    ['join', 'resolve'].includes(memberName(node.callee, folder) ?? '')
  ) {
    const args = node.arguments as N[];
    if (args[0]?.type === 'Identifier' && args[0].name === '__dirname' && args.length > 1) {
      const parts = args.slice(1).map((a) => folder.string(a));
      if (parts.every(Boolean)) return { value: `./${parts.map((p) => p!.value).join('/')}`, decoded: parts.some((p) => p!.decoded) };
    }
  }
  return null;
}

function isDecoder(node: AstNode): boolean {
  const n = node as N;
  if (n.type !== 'CallExpression') return false;
  const c = n.callee as N;
  if (c.type === 'Identifier') return c.name === 'atob' || c.name === 'unescape' || c.name === 'decodeURIComponent';
  if (c.type !== 'MemberExpression') return false;
  const m = propName(c);
  if (m === 'fromCharCode') return true;
  if (m === 'from' && c.object?.type === 'Identifier' && c.object.name === 'Buffer') {
    const enc = stringLiteral(n.arguments[1] as N | undefined);
    return enc === 'base64' || enc === 'hex';
  }
  return false;
}

/** Records the capabilities of a parsed program (Babel or ESTree) into `sink`; `at` maps offsets to lines for ESTree. */
export function scanAst(program: AstNode, sink: SignalSink, at: Locate | null = null): void {
  locate = at;
  try {
    scanProgram(program, sink);
  } finally {
    locate = null;
  }
}

function scanProgram(program: AstNode, sink: SignalSink): void {
  const hexIds = new Map<string, { line: number; column: number }>();
  const folded = new WeakSet<object>();
  const folder = new Folder();
  // Calls, concatenations and templates are judged after the walk, when every binding is known:
  // `require(m)` may come before `const m = 'chi' + 'ld_process'` in the text.
  const calls: N[] = [];
  const joins: N[] = [];
  const moduleRef = (spec: string, at: N) => sink.moduleReference(spec, pos(at));
  const execute = (kind: string, at: N, args: N[]) => {
    if (args.some((a) => some(a, isDecoder))) {
      sink.add({
        key: `decode-exec:${kind}`,
        category: 'dynamic-code',
        rule: 'dynamic-code/decode-then-execute',
        severity: 'critical',
        message: `decodes a string and runs it with ${kind}`,
        ...pos(at),
      });
    } else if (args.length > 0 && !args.every((a) => folder.string(a)?.decoded === false)) {
      sink.add({
        key: `exec:${kind}`,
        category: 'dynamic-code',
        rule: 'dynamic-code/eval-computed',
        severity: 'high',
        message: `runs a computed string as code with ${kind}`,
        ...pos(at),
      });
    }
  };

  walk(program, (raw, parentRaw) => {
    const node = raw as N;
    const parent = parentRaw as N | null;
    switch (node.type) {
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
      case 'ExportNamedDeclaration': {
        const source = stringLiteral(node.source);
        if (source !== undefined) moduleRef(source, node);
        return;
      }
      case 'ImportExpression':
        calls.push(node);
        return;
      case 'CallExpression':
      case 'NewExpression':
      case 'OptionalCallExpression':
        calls.push(node);
        return;
      case 'VariableDeclarator':
      case 'AssignmentExpression':
      case 'UpdateExpression':
        folder.bind(node);
        return;
      case 'ForInStatement':
        if (isProcessEnv(node.right)) {
          sink.add({
            key: 'env-enumeration',
            category: 'credentials',
            rule: 'credentials/env-enumeration',
            severity: 'high',
            message: 'iterates over every environment variable, where CI secrets live',
            ...pos(node),
          });
        }
        return;
      case 'MemberExpression': {
        if (isProcessEnv(node.object)) {
          const name = propName(node);
          if (name && isTokenName(name)) {
            sink.add({
              key: `token:${name}`,
              category: 'credentials',
              rule: 'credentials/token-name',
              severity: 'high',
              message: `reads the secret ${name} from the environment`,
              ...pos(node),
            });
          }
        }
        return;
      }
      case 'Identifier':
        if (HEX_ID.test(node.name) && !hexIds.has(node.name) && hexIds.size < 200) hexIds.set(node.name, pos(node));
        return;
      case 'BinaryExpression':
        if (node.operator === '+' && !(parent?.type === 'BinaryExpression' && parent.operator === '+')) joins.push(node);
        return;
      case 'StringLiteral':
        classifyString(node.value, { ...pos(node), decoded: false }, sink);
        return;
      case 'Literal':
        if (typeof node.value === 'string' && !(parent?.type === 'ExpressionStatement' && parent.directive !== undefined))
          classifyString(node.value, { ...pos(node), decoded: false }, sink);
        return;
      case 'TemplateLiteral':
        if (node.expressions.length > 0) joins.push(node);
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal `${}` marks where each expression sat, so split-up strings still read as one.
        classifyString(node.quasis.map((q: N) => q.value.cooked ?? q.value.raw ?? '').join('${}'), { ...pos(node), decoded: false }, sink);
        return;
      default:
        return;
    }
  });

  for (const node of joins) {
    const s = folder.string(node);
    if (s) {
      classifyString(s.value, { ...pos(node), decoded: s.decoded }, sink);
      markFolded(node, folded);
    }
  }
  for (const node of calls) {
    if (node.type === 'ImportExpression') {
      const spec = moduleSpec(node.source, folder);
      if (spec) moduleRef(spec.value, node);
      continue;
    }
    const callee = node.callee as N;
    const args = node.arguments as N[];
    if (isLoaderCall(callee, folder)) {
      const spec = moduleSpec(args[0], folder);
      if (spec) moduleRef(spec.value, node);
    } else if (callee.type === 'Identifier' && (callee.name === 'eval' || callee.name === 'Function')) {
      execute(callee.name === 'eval' ? 'eval' : 'new Function', node, callee.name === 'Function' ? args.slice(-1) : args);
    } else if (callee.type === 'Identifier' && NETWORK_GLOBALS.has(callee.name)) {
      sink.add({
        key: `global:${callee.name}`,
        category: 'network',
        rule: 'network/new-global',
        severity: 'medium',
        message: `makes network requests with ${callee.name}`,
        ...pos(node),
      });
    } else if (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') {
      const method = memberName(callee, folder);
      if (method && VM_CALLS.has(method)) execute(`vm.${method}`, node, args.slice(0, 1));
      else if (method === 'Script' && node.type === 'NewExpression') execute('vm.Script', node, args.slice(0, 1));
      else if ((method === 'binding' || method === '_linkedBinding') && PROCESS_BINDINGS.has(folder.string(args[0])?.value ?? '')) {
        sink.add({
          key: 'module:child_process',
          category: 'process',
          rule: 'process/new-child-process',
          severity: 'medium',
          message: `starts processes through the internal binding "${folder.string(args[0])!.value}"`,
          ...pos(node),
        });
      } else if (method && ENUMERATORS.has(method) && args.some((a) => isProcessEnv(a) || (method === 'stringify' && some(a, wrapsEnv)))) {
        sink.add({
          key: 'env-enumeration',
          category: 'credentials',
          rule: 'credentials/env-enumeration',
          severity: 'high',
          message: `collects the whole environment (${method}(process.env)), where CI secrets live`,
          ...pos(node),
        });
      }
    }
    if (!folded.has(node) && node.type === 'CallExpression') {
      const decoded = folder.string(node);
      if (decoded?.decoded) classifyDecoded(decoded.value, { ...pos(node), decoded: true }, sink);
      else if (decoded && callee.type === 'MemberExpression') classifyString(decoded.value, { ...pos(node), decoded: false }, sink);
    }
  }
  if (hexIds.size >= 5) {
    for (const [name, at] of hexIds) {
      sink.add({
        key: 'hex-identifiers',
        category: 'obfuscation',
        rule: 'obfuscation/hex-identifiers',
        severity: 'high',
        message: `uses ${hexIds.size} _0x-style mangled identifiers (e.g. ${name}), the signature of javascript-obfuscator`,
        ...at,
      });
    }
  }
}

/** `{ env: process.env }` or `{ ...process.env }`: the whole environment as a value. */
function wrapsEnv(node: AstNode): boolean {
  const n = node as N;
  return (
    ((n.type === 'ObjectProperty' || n.type === 'Property') && isProcessEnv(n.value)) ||
    (n.type === 'SpreadElement' && isProcessEnv(n.argument))
  );
}

function markFolded(node: N, folded: WeakSet<object>): void {
  some(node, (n) => {
    if (n.type === 'CallExpression') folded.add(n);
    return false;
  });
}
