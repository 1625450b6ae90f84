/**
 * Constant folding of the string expressions malware builds module names and commands from:
 * concatenation, template literals, `[...].join()`, `.concat()`, `.split('').reverse().join('')`,
 * `String.fromCharCode`, atob / Buffer.from decoding, and identifiers bound once to such a value.
 */
import type { AstNode } from './walk';

// biome-ignore lint/suspicious/noExplicitAny: ESTree nodes from two parsers (oxc, Babel) are read by field name; each read is checked at run time.
type N = AstNode & Record<string, any>;

/** A folded string; `decoded` when it was obtained by decoding (base64, hex, char codes), not just joining. */
export interface Folded {
  readonly value: string;
  readonly decoded: boolean;
}

const MAX_DEPTH = 40;

/** The value of a string literal in either AST dialect (Babel `StringLiteral`, ESTree `Literal`). */
export function stringLiteral(node: N | undefined | null): string | undefined {
  if (!node) return undefined;
  if (node.type === 'StringLiteral') return node.value as string;
  return node.type === 'Literal' && typeof node.value === 'string' ? node.value : undefined;
}

/** The value of a numeric literal in either AST dialect. */
function numericLiteral(node: N | undefined | null): number | undefined {
  if (!node) return undefined;
  if (node.type === 'NumericLiteral') return node.value as number;
  return node.type === 'Literal' && typeof node.value === 'number' ? node.value : undefined;
}
const MAX_LENGTH = 1_000_000;

/** The static name of a member access: `a.b`, `a['b']`, `a['e' + 'x']`. */
export function memberName(member: N, folder?: Folder): string | undefined {
  const p = member.property as N | undefined;
  if (!p) return undefined;
  if (!member.computed && p.type === 'Identifier') return p.name as string;
  const literal = stringLiteral(p);
  if (literal !== undefined) return literal;
  return member.computed && folder ? folder.string(p)?.value : undefined;
}

/** Folds expressions of one file; identifiers resolve through the single-assignment bindings recorded with `bind`. */
export class Folder {
  // name → its initialiser, or null when it is bound more than once or reassigned (then not constant)
  private readonly bindings = new Map<string, N | null>();

  /** Records what a node contributes to the bindings (declarations, assignments). */
  bind(node: N): void {
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier') {
      const name = node.id.name as string;
      this.bindings.set(name, this.bindings.has(name) ? null : ((node.init as N | null) ?? null));
    } else if (node.type === 'AssignmentExpression' && node.left?.type === 'Identifier') {
      this.bindings.set(node.left.name as string, null);
    } else if (node.type === 'UpdateExpression' && node.argument?.type === 'Identifier') {
      this.bindings.set(node.argument.name as string, null);
    }
  }

  /** The constant string `node` evaluates to, or null. */
  string(node: N | undefined, depth = 0): Folded | null {
    if (!node || depth > MAX_DEPTH) return null;
    switch (node.type) {
      case 'StringLiteral':
        return { value: node.value as string, decoded: false };
      case 'NumericLiteral':
        return { value: String(node.value), decoded: false };
      case 'Literal':
        return typeof node.value === 'string' || typeof node.value === 'number' ? { value: String(node.value), decoded: false } : null;
      case 'ParenthesizedExpression':
        return this.string(node.expression, depth + 1);
      case 'Identifier': {
        const init = this.bindings.get(node.name as string);
        return init ? this.string(init, depth + 1) : null;
      }
      case 'TemplateLiteral': {
        let value = '';
        let decoded = false;
        const quasis = node.quasis as N[];
        for (let i = 0; i < quasis.length; i++) {
          value += quasis[i]!.value.cooked ?? '';
          if (i < node.expressions.length) {
            const part = this.string(node.expressions[i], depth + 1);
            if (!part) return null;
            value += part.value;
            decoded ||= part.decoded;
          }
        }
        return { value, decoded };
      }
      case 'BinaryExpression': {
        if (node.operator !== '+') return null;
        const l = this.string(node.left, depth + 1);
        const r = l && this.string(node.right, depth + 1);
        if (!l || !r || l.value.length + r.value.length > MAX_LENGTH) return null;
        return { value: l.value + r.value, decoded: l.decoded || r.decoded };
      }
      case 'CallExpression':
        return this.call(node, depth);
      default:
        return null;
    }
  }

  /** The constant array of strings `node` evaluates to (array literals, `split`, `reverse`), or null. */
  private array(node: N | undefined, depth: number): { values: string[]; decoded: boolean } | null {
    if (!node || depth > MAX_DEPTH) return null;
    if (node.type === 'Identifier') {
      const init = this.bindings.get(node.name as string);
      return init ? this.array(init, depth + 1) : null;
    }
    if (node.type === 'ArrayExpression') {
      const values: string[] = [];
      let decoded = false;
      for (const el of node.elements as Array<N | null>) {
        const s = el ? this.string(el, depth + 1) : { value: '', decoded: false };
        if (!s) return null;
        values.push(s.value);
        decoded ||= s.decoded;
      }
      return { values, decoded };
    }
    if (node.type !== 'CallExpression' || node.callee?.type !== 'MemberExpression') return null;
    const method = memberName(node.callee, this);
    const args = node.arguments as N[];
    if (method === 'split') {
      const s = this.string(node.callee.object, depth + 1);
      const sep = args.length ? this.string(args[0], depth + 1) : null;
      if (!s || (args.length && !sep)) return null;
      return { values: sep ? s.value.split(sep.value) : [s.value], decoded: true };
    }
    if (method === 'reverse' && args.length === 0) {
      const a = this.array(node.callee.object, depth + 1);
      return a ? { values: [...a.values].reverse(), decoded: true } : null;
    }
    return null;
  }

  private charCodes(args: N[], depth: number): number[] | null {
    const out: number[] = [];
    for (const a of args) {
      const n = numericLiteral(a);
      if (n !== undefined) out.push(n);
      else if (a.type === 'SpreadElement' && a.argument?.type === 'ArrayExpression') {
        const inner = this.charCodes(a.argument.elements as N[], depth + 1);
        if (!inner) return null;
        out.push(...inner);
      } else return null;
    }
    return out.length <= MAX_LENGTH ? out : null;
  }

  private call(node: N, depth: number): Folded | null {
    const callee = node.callee as N;
    const args = node.arguments as N[];
    if (callee.type === 'Identifier' && callee.name === 'atob') {
      const s = this.string(args[0], depth + 1);
      return s ? { value: Buffer.from(s.value, 'base64').toString('latin1'), decoded: true } : null;
    }
    if (callee.type !== 'MemberExpression') return null;
    const method = memberName(callee, this);
    const object = callee.object as N;
    if (method === 'fromCharCode' && object.type === 'Identifier' && object.name === 'String') {
      const codes = this.charCodes(args, depth);
      return codes ? { value: String.fromCharCode(...codes), decoded: true } : null;
    }
    if (
      method === 'apply' &&
      object.type === 'MemberExpression' &&
      memberName(object, this) === 'fromCharCode' &&
      args[1]?.type === 'ArrayExpression'
    ) {
      const codes = this.charCodes(args[1].elements as N[], depth);
      return codes ? { value: String.fromCharCode(...codes), decoded: true } : null;
    }
    if (method === 'from' && object.type === 'Identifier' && object.name === 'Buffer') {
      const s = this.string(args[0], depth + 1);
      const enc = this.string(args[1], depth + 1)?.value;
      if (s && (enc === 'base64' || enc === 'hex')) return { value: Buffer.from(s.value, enc).toString('latin1'), decoded: true };
      return null;
    }
    if (method === 'toString' && object.type === 'CallExpression') return this.call(object, depth + 1);
    if (method === 'join') {
      const a = this.array(object, depth + 1);
      const sep = args.length ? this.string(args[0], depth + 1) : { value: ',', decoded: false };
      if (!a || !sep) return null;
      return { value: a.values.join(sep.value), decoded: a.decoded || sep.decoded };
    }
    if (method === 'concat') {
      const base = this.string(object, depth + 1);
      if (!base) return null;
      let value = base.value;
      let decoded = base.decoded;
      for (const arg of args) {
        const s = this.string(arg, depth + 1);
        if (!s) return null;
        value += s.value;
        decoded ||= s.decoded;
      }
      return { value, decoded };
    }
    return null;
  }
}
