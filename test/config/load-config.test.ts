import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError, parseDuration, ruleFor } from '../../server/config';

const dir = mkdtempSync(join(tmpdir(), 'cordon-config-'));

test('defaults with no file and no variables', () => {
  const c = loadConfig({}, dir);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 4873);
  assert.equal(c.upstream, 'https://registry.npmjs.org/');
  assert.equal(c.dataDir, join(dir, 'data'));
  assert.equal(c.cooldownMs, 72 * 3_600_000);
  assert.equal(c.sweep, '* * * * *');
  assert.equal(c.allowPublish, false);
  assert.equal(c.allowRegistration, false);
  assert.ok(Object.isFrozen(c));
});

test('every CORDON_* variable is read under its exact name', () => {
  const c = loadConfig({ CORDON_HOST: '0.0.0.0', CORDON_PORT: '5000', CORDON_UPSTREAM: 'http://127.0.0.1:9/npm', CORDON_DATA_DIR: '/var/lib/cordon', CORDON_COOLDOWN: '7d', CORDON_SWEEP: '*/10 * * * * *' }, dir);
  assert.deepEqual([c.host, c.port, c.upstream, c.dataDir, c.cooldownMs, c.sweep], ['0.0.0.0', 5000, 'http://127.0.0.1:9/npm/', '/var/lib/cordon', 7 * 86_400_000, '*/10 * * * * *']);
});

test('the file is read, and variables override it', () => {
  const file = join(dir, 'custom.yaml');
  writeFileSync(file, 'port: 4999\ncooldown: 30m\npackages:\n  - match: "@acme/*"\n    cooldown: 0\n  - match: left-pad\n    approval: always\n  - match: "eslint-*"\n    cooldown: 7d\n');
  const c = loadConfig({ CORDON_CONFIG: file, CORDON_PORT: '5001' }, dir);
  assert.equal(c.port, 5001);
  assert.equal(c.cooldownMs, 30 * 60_000);
  assert.equal(c.configFile, file);
  assert.deepEqual(ruleFor('@acme/ui', c.rules, c.cooldownMs), { cooldownMs: 0, approvalAlways: false, matchedBy: '@acme/*' });
  assert.deepEqual(ruleFor('left-pad', c.rules, c.cooldownMs), { cooldownMs: 30 * 60_000, approvalAlways: true, matchedBy: 'left-pad' });
  assert.equal(ruleFor('eslint-scope', c.rules, c.cooldownMs).cooldownMs, 7 * 86_400_000);
  assert.equal(ruleFor('@acme2/ui', c.rules, c.cooldownMs).matchedBy, null);
  assert.equal(ruleFor('@acme/ui/extra', c.rules, c.cooldownMs).matchedBy, null, '* does not cross a slash');
});

test('cordon.yaml in the working folder is picked up', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cordon-cwd-'));
  writeFileSync(join(cwd, 'cordon.yaml'), 'cooldown: 2h\n');
  assert.equal(loadConfig({}, cwd).cooldownMs, 2 * 3_600_000);
});

describe('bad values stop the start and name the key', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ CORDON_PORT: 'eighty' }, /CORDON_PORT="eighty"/],
    [{ CORDON_PORT: '70000' }, /CORDON_PORT/],
    [{ CORDON_COOLDOWN: '3 days' }, /CORDON_COOLDOWN="3 days"/],
    [{ CORDON_COOLDOWN: '12' }, /CORDON_COOLDOWN/],
    [{ CORDON_COOLDOWN: '-5h' }, /CORDON_COOLDOWN/],
    [{ CORDON_UPSTREAM: 'ftp://x' }, /CORDON_UPSTREAM/],
    [{ CORDON_UPSTREAM: 'not a url' }, /CORDON_UPSTREAM/],
    [{ CORDON_SWEEP: 'every minute' }, /CORDON_SWEEP="every minute"/],
    [{ CORDON_SWEEP: '* * *' }, /CORDON_SWEEP/],
    [{ CORDON_CONFIG: '/nonexistent/cordon.yaml' }, /CORDON_CONFIG/],
  ];
  for (const [env, pattern] of cases) {
    test(JSON.stringify(env), () => {
      assert.throws(() => loadConfig(env, dir), (err: unknown) => err instanceof ConfigError && pattern.test(err.message));
    });
  }
  const fileCases: Array<[string, RegExp]> = [
    ['cooldwn: 3h\n', /cooldwn/],
    ['packages:\n  - match: "@acme/*"\n    cooldown: soon\n', /packages.*\[0\]\.cooldown/],
    ['packages:\n  - match: x\n    approval: sometimes\n', /\[0\]\.approval/],
    ['packages: {}\n', /packages/],
    ['- just\n- a list\n', /mapping/],
    ['port: [1\n', /Cannot read config file/],
  ];
  for (const [text, pattern] of fileCases) {
    test(`file: ${JSON.stringify(text)}`, () => {
      const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, text);
      assert.throws(() => loadConfig({ CORDON_CONFIG: file }, dir), (err: unknown) => err instanceof ConfigError && pattern.test(err.message));
    });
  }
});

test('parseDuration', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('72h'), 259_200_000);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration(0), 0);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('h'), null);
  assert.equal(parseDuration(''), null);
});
