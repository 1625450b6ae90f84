/** The subset of a Babel node the walker relies on. */
export interface AstNode {
  readonly type: string;
  readonly loc?: { readonly start: { readonly line: number; readonly column: number }; readonly end?: { readonly line: number } } | null;
  readonly [key: string]: unknown;
}

const SKIP = new Set([
  'loc',
  'start',
  'end',
  'range',
  'extra',
  'leadingComments',
  'trailingComments',
  'innerComments',
  'comments',
  'tokens',
  'errors',
]);

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * Visits every node depth-first with its parent. Iterative, so deeply nested minified code
 * cannot overflow the stack.
 */
export function walk(root: AstNode, visit: (node: AstNode, parent: AstNode | null) => void): void {
  const stack: Array<[AstNode, AstNode | null]> = [[root, null]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    visit(node, parent);
    const keys = Object.keys(node);
    for (let k = keys.length - 1; k >= 0; k--) {
      const key = keys[k]!;
      if (SKIP.has(key)) continue;
      const value = node[key];
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) if (isNode(value[i])) stack.push([value[i], node]);
      } else if (isNode(value)) {
        stack.push([value, node]);
      }
    }
  }
}

/** True when some node under `root` (inclusive) satisfies `test`; stops at `budget` nodes. */
export function some(root: AstNode, test: (node: AstNode) => boolean, budget = 2000): boolean {
  const stack: AstNode[] = [root];
  while (stack.length > 0 && budget-- > 0) {
    const node = stack.pop()!;
    if (test(node)) return true;
    for (const key of Object.keys(node)) {
      if (SKIP.has(key)) continue;
      const value = node[key];
      if (Array.isArray(value))
        for (const v of value) {
          if (isNode(v)) stack.push(v);
        }
      else if (isNode(value)) stack.push(value);
    }
  }
  return false;
}
