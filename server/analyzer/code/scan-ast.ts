import { classifyModule } from './modules';
import type { SignalSink } from './signal';
import { classifyDecoded, classifyString, isTokenName } from './strings';
import { some, walk, type AstNode } from './walk';

type N = AstNode & Record<string, any>;

const NETWORK_GLOBALS = new Set(['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource']);
const VM_CALLS = new Set(['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction']);
const ENUMERATORS = new Set(['keys', 'entries', 'values', 'stringify', 'assign', 'getOwnPropertyNames']);
const HEX_ID = /^_0x[0-9a-f]{3,}$/i;

function pos(node: N): { line: number; column: number; endLine: number } {
  const line = node.loc?.start.line ?? 0;
  return { line, column: node.loc?.start.column ?? 0, endLine: node.loc?.end?.line ?? line };
}

function propName(member: N): string | undefined {
  const p = member.property as N | undefined;
  if (!p) return undefined;
  if (!member.computed && p.type === 'Identifier') return p.name as string;
  if (p.type === 'StringLiteral') return p.value as string;
  return undefined;
}

function isProcessEnv(node: N | undefined): boolean {
  return !!node && node.type === 'MemberExpression' && node.object?.type === 'Identifier' && node.object.name === 'process' && propName(node) === 'env';
}

/** Folds string concatenation, template literals without expressions and static decoders into a string. */
export function constantString(node: N | undefined, depth = 0): { value: string; decoded: boolean } | null {
  if (!node || depth > 40) return null;
  switch (node.type) {
    case 'StringLiteral':
      return { value: node.value as string, decoded: false };
    case 'TemplateLiteral':
      return node.expressions.length === 0 ? { value: node.quasis.map((q: N) => q.value.cooked ?? '').join(''), decoded: false } : null;
    case 'BinaryExpression': {
      if (node.operator !== '+') return null;
      const l = constantString(node.left, depth + 1);
      const r = l && constantString(node.right, depth + 1);
      return l && r ? { value: l.value + r.value, decoded: l.decoded || r.decoded } : null;
    }
    case 'CallExpression':
      return decodeCall(node, depth);
    default:
      return null;
  }
}

function decodeCall(node: N, depth: number): { value: string; decoded: boolean } | null {
  const callee = node.callee as N;
  const args = node.arguments as N[];
  if (callee.type === 'Identifier' && callee.name === 'atob') {
    const s = constantString(args[0], depth + 1);
    return s ? { value: Buffer.from(s.value, 'base64').toString('latin1'), decoded: true } : null;
  }
  if (callee.type !== 'MemberExpression') {
    return null;
  }
  const method = propName(callee);
  const object = callee.object as N;
  if (method === 'fromCharCode' && object.type === 'Identifier' && object.name === 'String') {
    if (!args.every((a) => a.type === 'NumericLiteral')) return null;
    return { value: String.fromCharCode(...args.map((a) => a.value as number)), decoded: true };
  }
  if (method === 'from' && object.type === 'Identifier' && object.name === 'Buffer') {
    const s = constantString(args[0], depth + 1);
    const enc = constantString(args[1], depth + 1)?.value;
    if (s && (enc === 'base64' || enc === 'hex')) return { value: Buffer.from(s.value, enc).toString('latin1'), decoded: true };
  }
  if (method === 'toString' && object.type === 'CallExpression') return decodeCall(object, depth + 1);
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
    const enc = n.arguments[1] as N | undefined;
    return !!enc && enc.type === 'StringLiteral' && (enc.value === 'base64' || enc.value === 'hex');
  }
  return false;
}

function isLiteralCode(args: N[]): boolean {
  return args.every((a) => constantString(a)?.decoded === false);
}

/** Records the capabilities of a parsed program into `sink`. */
export function scanAst(program: AstNode, sink: SignalSink): void {
  const hexIds = new Map<string, { line: number; column: number }>();
  const folded = new WeakSet<object>();
  const moduleRef = (spec: string, at: N) => {
    if (spec.startsWith('./') || spec.startsWith('../')) sink.relativeImports.push(spec);
    const cls = classifyModule(spec);
    if (cls) sink.add({ key: `module:${cls.name}`, category: cls.category, rule: cls.rule, severity: cls.severity, message: `uses ${cls.what}: "${cls.name}"`, ...pos(at) });
  };
  const execute = (kind: string, at: N, args: N[]) => {
    if (args.some((a) => some(a, isDecoder))) {
      sink.add({ key: `decode-exec:${kind}`, category: 'dynamic-code', rule: 'dynamic-code/decode-then-execute', severity: 'critical', message: `decodes a string and runs it with ${kind}`, ...pos(at) });
    } else if (args.length > 0 && !isLiteralCode(args)) {
      sink.add({ key: `exec:${kind}`, category: 'dynamic-code', rule: 'dynamic-code/eval-computed', severity: 'high', message: `runs a computed string as code with ${kind}`, ...pos(at) });
    }
  };

  walk(program, (raw, parentRaw) => {
    const node = raw as N;
    const parent = parentRaw as N | null;
    switch (node.type) {
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
      case 'ExportNamedDeclaration':
        if (node.source?.type === 'StringLiteral') moduleRef(node.source.value, node);
        return;
      case 'ImportExpression':
        if (node.source?.type === 'StringLiteral') moduleRef(node.source.value, node);
        return;
      case 'CallExpression':
      case 'NewExpression': {
        const callee = node.callee as N;
        const args = node.arguments as N[];
        if (callee.type === 'Import' || (callee.type === 'Identifier' && callee.name === 'require')) {
          const spec = constantString(args[0]);
          if (spec) moduleRef(spec.value, node);
        } else if (callee.type === 'Identifier' && (callee.name === 'eval' || callee.name === 'Function')) {
          execute(callee.name === 'eval' ? 'eval' : 'new Function', node, callee.name === 'Function' ? args.slice(-1) : args);
        } else if (callee.type === 'Identifier' && NETWORK_GLOBALS.has(callee.name)) {
          sink.add({ key: `global:${callee.name}`, category: 'network', rule: 'network/new-global', severity: 'medium', message: `makes network requests with ${callee.name}`, ...pos(node) });
        } else if (callee.type === 'MemberExpression') {
          const method = propName(callee);
          if (method && VM_CALLS.has(method)) execute(`vm.${method}`, node, args.slice(0, 1));
          else if (method === 'Script' && node.type === 'NewExpression') execute('vm.Script', node, args.slice(0, 1));
          else if (method && ENUMERATORS.has(method) && args.some((a) => isProcessEnv(a) || (method === 'stringify' && some(a, wrapsEnv)))) {
            sink.add({ key: 'env-enumeration', category: 'credentials', rule: 'credentials/env-enumeration', severity: 'high', message: `collects the whole environment (${method}(process.env)), where CI secrets live`, ...pos(node) });
          }
        }
        if (!folded.has(node)) {
          const decoded = decodeCall(node, 0);
          if (decoded?.decoded) classifyDecoded(decoded.value, { ...pos(node), decoded: true }, sink);
        }
        return;
      }
      case 'ForInStatement':
        if (isProcessEnv(node.right)) {
          sink.add({ key: 'env-enumeration', category: 'credentials', rule: 'credentials/env-enumeration', severity: 'high', message: 'iterates over every environment variable, where CI secrets live', ...pos(node) });
        }
        return;
      case 'MemberExpression': {
        if (isProcessEnv(node.object)) {
          const name = propName(node);
          if (name && isTokenName(name)) {
            sink.add({ key: `token:${name}`, category: 'credentials', rule: 'credentials/token-name', severity: 'high', message: `reads the secret ${name} from the environment`, ...pos(node) });
          }
        }
        return;
      }
      case 'Identifier':
        if (HEX_ID.test(node.name) && !hexIds.has(node.name) && hexIds.size < 200) hexIds.set(node.name, pos(node));
        return;
      case 'BinaryExpression':
        if (node.operator === '+' && !(parent?.type === 'BinaryExpression' && parent.operator === '+')) {
          const s = constantString(node);
          if (s) {
            classifyString(s.value, { ...pos(node), decoded: s.decoded }, sink);
            markFolded(node, folded);
          }
        }
        return;
      case 'StringLiteral':
        classifyString(node.value, { ...pos(node), decoded: false }, sink);
        return;
      case 'TemplateLiteral':
        classifyString(node.quasis.map((q: N) => q.value.cooked ?? q.value.raw ?? '').join('${}'), { ...pos(node), decoded: false }, sink);
        return;
      default:
        return;
    }
  });
  if (hexIds.size >= 5) {
    for (const [name, at] of hexIds) {
      sink.add({ key: 'hex-identifiers', category: 'obfuscation', rule: 'obfuscation/hex-identifiers', severity: 'high', message: `uses ${hexIds.size} _0x-style mangled identifiers (e.g. ${name}), the signature of javascript-obfuscator`, ...at });
    }
  }
}

/** `{ env: process.env }` or `{ ...process.env }`: the whole environment as a value. */
function wrapsEnv(node: AstNode): boolean {
  const n = node as N;
  return (n.type === 'ObjectProperty' && isProcessEnv(n.value)) || (n.type === 'SpreadElement' && isProcessEnv(n.argument));
}

function markFolded(node: N, folded: WeakSet<object>): void {
  some(node, (n) => {
    if (n.type === 'CallExpression') folded.add(n);
    return false;
  });
}
