import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runProcess } from '../helpers/run-process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distOf, packTarball } from '../helpers/pack-tarball';
import { startFakeRegistry } from '../upstream/fake-registry';

const bin = join(__dirname, '..', '..', '..', 'bin', 'cordon.js');
const dir = mkdtempSync(join(tmpdir(), 'cordon-cli-'));
const pkg = (version: string, scripts: object = {}) => JSON.stringify({ name: 'demo', version, scripts });
const files = {
  old: packTarball({ 'package.json': pkg('1.0.0'), 'index.js': 'module.exports = 1;\n' }),
  quiet: packTarball({ 'package.json': pkg('1.0.1'), 'index.js': 'module.exports = 2;\n' }),
  ansi: packTarball({ 'package.json': pkg('1.0.1'), 'index.js': "require('child_process').exec('x'); // \u001b[2J\u001b]0;owned\u0007\n" }),
  risky: packTarball({ 'package.json': pkg('1.0.1'), 'index.js': 'module.exports = process.env.NPM_TOKEN;\n' }),
  hostile: packTarball({
    'package.json': pkg('1.0.1', { postinstall: 'node x.js' }),
    'index.js': 'module.exports = 1;\n',
    'x.js': "require('https').get('https://webhook.site/x')",
  }),
};
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, `${name}.tgz`), bytes);
writeFileSync(join(dir, 'truncated.tgz'), files.old.subarray(0, files.old.length - 20));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runProcess(process.execPath, [bin, 'analyze', ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env } });
}

const p = (name: string) => join(dir, `${name}.tgz`);
const cases: Array<{ name: string; args: () => string[]; code: number; out?: RegExp; err?: RegExp }> = [
  { name: 'quiet upgrade', args: () => [p('old'), p('quiet')], code: 0, out: /Nothing new/ },
  {
    name: 'new postinstall',
    args: () => [p('old'), p('hostile')],
    code: 1,
    out: /CRITICAL[\s\S]*install-script\/new-postinstall[\s\S]*package\.json/,
  },
  { name: 'a critical finding at --fail-on critical', args: () => [p('old'), p('hostile'), '--fail-on', 'critical'], code: 1 },
  {
    name: 'a high finding below --fail-on critical',
    args: () => [p('old'), p('risky'), '--fail-on', 'critical'],
    code: 0,
    out: /HIGH[\s\S]*credentials\/token-name/,
  },
  { name: 'first version with -', args: () => ['-', p('quiet')], code: 0 },
  // Exit 2 also follows a crash, so each of these checks the error the CLI meant to give.
  { name: 'truncated tarball', args: () => [p('old'), p('truncated')], code: 2, err: /\[TARBALL_TRUNCATED\]/ },
  { name: 'missing file', args: () => [p('old'), join(dir, 'nope.tgz')], code: 2, err: /cannot read .*nope\.tgz.*\[USAGE\]/ },
  { name: 'bad --fail-on', args: () => [p('old'), p('quiet'), '--fail-on', 'severe'], code: 2, err: /severe/ },
  { name: 'one argument', args: () => [p('old')], code: 2, err: /usage: cordon analyze/ },
];
for (const c of cases) {
  test(`cordon analyze: ${c.name} exits ${c.code}`, async () => {
    const r = await run(c.args());
    assert.equal(r.code, c.code, r.stderr + r.stdout);
    if (c.out) assert.match(r.stdout, c.out);
    if (c.err) assert.match(r.stderr, c.err);
  });
}

test('--json prints the Report', async () => {
  const r = await run([p('old'), p('hostile'), '--json']);
  const report = JSON.parse(r.stdout);
  assert.match(report.digest, /^[0-9a-f]{64}$/);
  assert.equal(report.findings[0].rule, 'install-script/new-postinstall');
});

test('pkg@version fetches manifest and tarball from CORDON_UPSTREAM and verifies them', async () => {
  const routes: Record<string, Buffer | object> = {};
  const reg = await startFakeRegistry(routes);
  const manifest = (v: string, bytes: Buffer, user: string, integrity = distOf(bytes).integrity) => ({
    name: 'demo',
    version: v,
    _npmUser: { name: user },
    dist: { tarball: `${reg.url}demo/-/demo-${v}.tgz`, integrity },
  });
  routes['/demo'] = {
    name: 'demo',
    versions: {
      '1.0.0': manifest('1.0.0', files.old, 'alice'),
      '1.0.1': manifest('1.0.1', files.quiet, 'mallory'),
      '1.0.2': manifest('1.0.2', files.hostile, 'alice', distOf(Buffer.from('bytes nobody serves')).integrity),
      '1.0.3': manifest('1.0.3', files.hostile, 'alice', `${distOf(files.quiet).integrity} ${distOf(files.hostile).integrity}`),
    },
  };
  routes['/demo/-/demo-1.0.3.tgz'] = files.hostile;
  routes['/demo/-/demo-1.0.0.tgz'] = files.old;
  routes['/demo/-/demo-1.0.1.tgz'] = files.quiet;
  routes['/demo/-/demo-1.0.2.tgz'] = files.hostile;
  const env = { CORDON_UPSTREAM: reg.url };
  try {
    const ok = await run(['demo@1.0.0', 'demo@1.0.1', '--json', '--fail-on', 'medium'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(
      JSON.parse(ok.stdout).findings.map((f: { rule: string }) => f.rule),
      ['metadata/new-publisher'],
    );
    const bad = await run(['demo@1.0.1', 'demo@1.0.2'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /upstream sent other bytes for demo@1\.0\.2 than the ones pinned.*\[DIGEST_MISMATCH\]/);
    const twin = await run(['demo@1.0.1', 'demo@1.0.3'], env);
    assert.equal(twin.code, 2);
    assert.match(
      twin.stderr,
      /demo@1\.0\.3 cannot be verified: its integrity names 2 different sha512 digests/,
      'the CLI pins one digest as the mirror does',
    );
    const missing = await run(['demo@1.0.0', 'demo@9.9.9'], env);
    assert.equal(missing.code, 2);
  } finally {
    await reg.close();
  }
});

test('snippets from the package cannot drive the terminal', async () => {
  const r = await run([p('old'), p('ansi')]);
  assert.match(r.stdout, /process\/new-child-process/);
  assert.ok(!/[\u001b\u0007]/.test(r.stdout), 'control characters are escaped');
  assert.match(r.stdout, /\\u\{1b\}\[2J/);
});
