#!/usr/bin/env node
/**
 * Finds Promises used where their value is not waited for, with TypeScript's own type checker:
 * - a Promise in a boolean context (`if (p)`, `!p`, `p && …`, `p ? … : …`, `while (p)`): a Promise is
 *   truthy, so `if (store.x())` or `!quarantine.isHidden()` silently fails open;
 * - a floating Promise: an expression statement whose value is a Promise and that is neither awaited,
 *   returned, nor marked on purpose with `void` (its rejection is lost, and what it writes may land later);
 * - a Promise compared with `===`/`!==` or put in a template string.
 * Exits 1 and lists each place (file:line) when it finds any. Run: node scripts/check-promises.js [tsconfig]
 */
'use strict';
const ts = require('typescript');
const path = require('node:path');

const configPath = path.resolve(process.argv[2] ?? 'tsconfig.json');
const read = ts.readConfigFile(configPath, ts.sys.readFile);
if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configPath));
const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
const checker = program.getTypeChecker();

/** True when `type` is (or, as a union, may be) a Promise or another thenable. */
function isThenable(type) {
  if (type.isUnion()) return type.types.some(isThenable);
  const then = type.getProperty('then');
  if (!then) return false;
  const thenType = checker.getTypeOfSymbol(then);
  return thenType.getCallSignatures().length > 0;
}

const problems = [];
const PROMISE_TAKERS = new Set(['Promise.resolve', 'Promise.reject']);
const PREDICATE_METHODS = new Set(['filter', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'sort']);
function report(node, what) {
  const sf = node.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  problems.push(
    `${path.relative(process.cwd(), sf.fileName)}:${line + 1}: ${what}: ${node.getText(sf).slice(0, 120).replace(/\s+/g, ' ')}`,
  );
}

function checkCondition(expr, where) {
  if (!expr) return;
  const e = skipParens(expr);
  // `a && b` / `a || b` in a condition: each side is a condition of its own.
  if (
    ts.isBinaryExpression(e) &&
    (e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  ) {
    checkCondition(e.left, where);
    checkCondition(e.right, where);
    return;
  }
  if (conditionHazard(e)) report(e, `Promise used as a condition (${where}); it is always truthy`);
}

/**
 * A call (or an await-less property read of a call) whose value may be a Promise is always a hazard in a
 * condition: `if (store.x())`, `if (this.watch?.hasPending(n))`. A variable typed `Promise | null` tested
 * for presence (`if (this.running)`) is not: it is flagged only when it cannot be anything but a Promise.
 */
function conditionHazard(e) {
  const type = checker.getTypeAtLocation(e);
  if (ts.isCallExpression(e) || ts.isNewExpression(e)) return isThenable(type);
  return type.isUnion() ? type.types.every(isThenable) : isThenable(type);
}

/** `p.catch(…)`, `p.then(ok, fail)`, `p.then(…).catch(…)…`: a Promise whose rejection is handled on purpose. */
function handled(e) {
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression)) return false;
  const method = e.expression.name.text;
  if (method === 'catch') return true;
  if (method === 'then' && e.arguments.length >= 2) return true;
  if (method === 'finally' || method === 'then') return handled(skipParens(e.expression.expression));
  return false;
}

/** True when the function's contextual type is a callback whose every signature returns void. */
function returnsVoidInContext(node) {
  const contextual = checker.getContextualType(node);
  if (!contextual) return false;
  const sigs = contextual.getCallSignatures();
  return sigs.length > 0 && sigs.every((s) => (checker.getReturnTypeOfSignature(s).flags & ts.TypeFlags.Void) !== 0);
}

/** node:test's `test(...)`/`describe(...)` return Promises the runner itself waits for. */
function isTestDeclaration(e) {
  if (!ts.isCallExpression(e)) return false;
  const callee = e.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  return ['test', 'describe', 'it', 'suite'].includes(name);
}

function skipParens(e) {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

function visit(node) {
  if (ts.isIfStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) checkCondition(node.expression, 'if/while');
  else if (ts.isForStatement(node)) checkCondition(node.condition, 'for');
  else if (ts.isConditionalExpression(node)) checkCondition(node.condition, '?:');
  else if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) checkCondition(node.operand, '!');
  else if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
      // The left side of && / || is tested for truth wherever the expression stands.
      checkCondition(node.left, op === ts.SyntaxKind.AmpersandAmpersandToken ? '&&' : '||');
    } else if (
      op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
      op === ts.SyntaxKind.EqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsToken
    ) {
      const [l, r] = [isThenable(checker.getTypeAtLocation(node.left)), isThenable(checker.getTypeAtLocation(node.right))];
      // Two Promises compared are an identity check; a Promise compared with a value is a missing await.
      if (l !== r) report(l ? node.left : node.right, 'Promise compared with a value by ==/!=');
    }
  } else if (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    PREDICATE_METHODS.has(node.expression.name.text) &&
    node.arguments.length > 0
  ) {
    // `list.filter(async (x) => …)` keeps everything: each Promise is truthy.
    const cb = node.arguments[0];
    const sigs = checker.getTypeAtLocation(cb).getCallSignatures();
    if (sigs.some((sig) => isThenable(checker.getReturnTypeOfSignature(sig))))
      report(cb, `Promise returned to ${node.expression.name.text}(), which tests it for truth`);
  } else if (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    ['throws', 'doesNotThrow'].includes(node.expression.name.text) &&
    node.arguments.length > 0
  ) {
    // `assert.throws(() => asyncFn())`: the function returns a rejected Promise instead of throwing.
    const sigs = checker.getTypeAtLocation(node.arguments[0]).getCallSignatures();
    if (sigs.some((sig) => isThenable(checker.getReturnTypeOfSignature(sig))))
      report(node.arguments[0], `Promise returned to ${node.expression.name.text}(); use assert.rejects`);
  } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
    // A Promise handed to a parameter typed `unknown`/`any` (assert.equal(p, …), a logger field, res.json(p)):
    // nothing will wait for it, and whatever compares or prints it sees a Promise, not its value.
    const sig = checker.getResolvedSignature(node);
    const callee = node.expression.getText(node.getSourceFile());
    if (
      sig &&
      !PROMISE_TAKERS.has(callee) &&
      !/\.(rejects|doesNotReject|resolve|race|all|allSettled|any|then|catch|finally)$/.test(callee)
    ) {
      node.arguments.forEach((arg, i) => {
        const param = sig.parameters[Math.min(i, sig.parameters.length - 1)];
        if (!param) return;
        const declared = checker.getTypeOfSymbolAtLocation(param, node);
        const loose = (declared.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) !== 0;
        if (loose && !ts.isFunctionLike(arg) && isThenable(checker.getTypeAtLocation(arg)))
          report(arg, `Promise passed as a value to ${callee}()`);
      });
    }
    ts.forEachChild(node, visit);
    return;
  } else if (ts.isTemplateSpan(node)) {
    if (isThenable(checker.getTypeAtLocation(node.expression))) report(node.expression, 'Promise in a template string');
  } else if (ts.isExpressionStatement(node)) {
    const e = skipParens(node.expression);
    const floating =
      !isTestDeclaration(e) &&
      !ts.isVoidExpression(e) &&
      !ts.isAwaitExpression(e) &&
      !handled(e) &&
      !(ts.isBinaryExpression(e) && ts.isAssignmentOperator(e.operatorToken.kind)) &&
      isThenable(checker.getTypeAtLocation(e));
    if (floating) report(e, 'floating Promise (await it, return it, or mark it with void)');
  } else if (
    (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) &&
    node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) &&
    returnsVoidInContext(node)
  ) {
    // `emitter.on('x', async () => …)`, `setTimeout(async () => …)`: the caller drops the Promise, so a
    // rejection is unhandled and nothing waits for what it writes.
    report(node, 'async function passed where a void callback is expected (its Promise floats)');
  } else if (ts.isArrowFunction(node) && !ts.isBlock(node.body)) {
    // `() => promise` where the callback's caller expects void (forEach, event handlers, setTimeout):
    // the Promise floats. Flag only when the contextual return type is void.
    const sig = checker.getContextualType(node);
    if (sig) {
      const sigs = sig.getCallSignatures();
      if (sigs.length > 0 && sigs.every((s) => (checker.getReturnTypeOfSignature(s).flags & ts.TypeFlags.Void) !== 0)) {
        const body = skipParens(node.body);
        if (!ts.isVoidExpression(body) && !handled(body) && isThenable(checker.getTypeAtLocation(body)))
          report(body, 'Promise returned where void is expected (it floats)');
      }
    }
  }
  ts.forEachChild(node, visit);
}

const roots = (process.env.CHECK_PROMISES_DIRS ?? 'server,plugins,bench,test,storage').split(',').map((d) => path.resolve(d) + path.sep);
for (const sf of program.getSourceFiles()) {
  if (sf.isDeclarationFile || !roots.some((r) => sf.fileName.startsWith(r))) continue;
  visit(sf);
}
if (problems.length) {
  process.stdout.write(`${problems.join('\n')}\n${problems.length} place(s) where a Promise is not waited for\n`);
  process.exit(1);
}
process.stdout.write('check-promises: no Promise used as a condition or left floating\n');
