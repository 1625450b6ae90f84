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
  const c = loadConfig(
    {
      CORDON_HOST: '0.0.0.0',
      CORDON_PORT: '5000',
      CORDON_UPSTREAM: 'http://127.0.0.1:9/npm',
      CORDON_DATA_DIR: '/var/lib/cordon',
      CORDON_COOLDOWN: '7d',
      CORDON_SWEEP: '*/10 * * * * *',
    },
    dir,
  );
  assert.deepEqual(
    [c.host, c.port, c.upstream, c.dataDir, c.cooldownMs, c.sweep],
    ['0.0.0.0', 5000, 'http://127.0.0.1:9/npm/', '/var/lib/cordon', 7 * 86_400_000, '*/10 * * * * *'],
  );
});

test('the file is read, and variables override it', () => {
  const file = join(dir, 'custom.yaml');
  writeFileSync(
    file,
    'port: 4999\ncooldown: 30m\npackages:\n  - match: "@acme/*"\n    cooldown: 0\n  - match: left-pad\n    approval: always\n  - match: "eslint-*"\n    cooldown: 7d\n',
  );
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
      assert.throws(
        () => loadConfig(env, dir),
        (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
      );
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
      assert.throws(
        () => loadConfig({ CORDON_CONFIG: file }, dir),
        (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
      );
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

test('pipeline and approval settings', () => {
  const c = loadConfig(
    {
      CORDON_HOLD_AT: 'high',
      REDIS_URL: 'redis://127.0.0.1:6379',
      CORDON_QUEUE: 'q1',
      CORDON_ANALYSIS_CONCURRENCY: '4',
      CORDON_ANALYSIS_ATTEMPTS: '3',
      CORDON_ANALYSIS_TIMEOUT: '90s',
      CORDON_MIRROR_ID: 'prod-1',
    },
    dir,
  );
  assert.deepEqual(
    [c.holdAt, c.redisUrl, c.queueName, c.analysisConcurrency, c.analysisAttempts, c.analysisTimeoutMs, c.mirrorId],
    ['high', 'redis://127.0.0.1:6379', 'q1', 4, 3, 90_000, 'prod-1'],
  );
  const d = loadConfig({}, dir);
  assert.deepEqual(
    [d.holdAt, d.redisUrl, d.analysisConcurrency, d.burst.windowMs, d.burst.versions, d.quorum.bySeverity.critical, d.quorum.fastTrack],
    ['medium', null, 2, 600_000, 10, 1, null],
  );

  const file = join(dir, 'approvers.yaml');
  const key = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]).toString('base64')} alice@laptop`;
  writeFileSync(
    file,
    `approvers:\n  - name: alice\n    key: "${key}"\nquorum:\n  critical: 2\nfastTrackQuorum: 3\nburst:\n  window: 5m\n  versions: 20\n`,
  );
  const e = loadConfig({ CORDON_CONFIG: file }, dir);
  assert.equal(e.approvers[0]!.name, 'alice');
  assert.equal(e.approvers[0]!.keyType, 'ssh-ed25519');
  assert.deepEqual(
    [e.quorum.bySeverity.critical, e.quorum.bySeverity.high, e.quorum.fastTrack, e.burst.windowMs, e.burst.versions],
    [2, 1, 3, 300_000, 20],
  );
});

test('the store: SQLite in the data folder unless CORDON_DATABASE_URL (or databaseUrl) names a PostgreSQL database', () => {
  assert.equal(loadConfig({}, dir).databaseUrl, null);
  assert.equal(
    loadConfig({ CORDON_DATABASE_URL: 'postgres://cordon:s3cret@db.internal:5432/cordon?sslmode=require' }, dir).databaseUrl,
    'postgres://cordon:s3cret@db.internal:5432/cordon?sslmode=require',
  );
  assert.equal(loadConfig({ CORDON_DATABASE_URL: 'postgresql://127.0.0.1/cordon' }, dir).databaseUrl, 'postgresql://127.0.0.1/cordon');
  const file = join(dir, 'database.yaml');
  writeFileSync(file, 'databaseUrl: postgres://127.0.0.1/from-file\n');
  assert.equal(loadConfig({ CORDON_CONFIG: file }, dir).databaseUrl, 'postgres://127.0.0.1/from-file');
  assert.equal(
    loadConfig({ CORDON_CONFIG: file, CORDON_DATABASE_URL: 'postgres://127.0.0.1/from-env' }, dir).databaseUrl,
    'postgres://127.0.0.1/from-env',
  );
});

test('a bad CORDON_DATABASE_URL is named without its password', () => {
  for (const value of ['mysql://cordon:s3cret@db/cordon', 'postgres:cordon:s3cret', 'sqlite:///data/cordon.sqlite']) {
    assert.throws(
      () => loadConfig({ CORDON_DATABASE_URL: value }, dir),
      (err: unknown) =>
        err instanceof ConfigError &&
        /CORDON_DATABASE_URL/.test(err.message) &&
        /postgres:\/\//.test(err.message) &&
        !err.message.includes('s3cret'),
      value,
    );
  }
});

describe('bad pipeline and approval settings name the key', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ CORDON_HOLD_AT: 'severe' }, /CORDON_HOLD_AT="severe"/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /REDIS_URL/],
    [{ CORDON_QUEUE: 'has space' }, /CORDON_QUEUE/],
    [{ CORDON_ANALYSIS_CONCURRENCY: '0' }, /CORDON_ANALYSIS_CONCURRENCY/],
    [{ CORDON_MIRROR_ID: 'a b' }, /CORDON_MIRROR_ID/],
  ];
  for (const [env, pattern] of cases) {
    test(JSON.stringify(env), () =>
      assert.throws(
        () => loadConfig(env, dir),
        (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
      ),
    );
  }
  const fileCases: Array<[string, RegExp]> = [
    ['approvers:\n  - name: a\n    key: "ssh-rsa AAAAB3NzaC1yc2E= a"\n', /approvers.*\[0\]\.key/],
    ['approvers:\n  - name: a\n    key: "ssh-ed25519 bm90IGEga2V5"\n', /complete OpenSSH public key/],
    ['quorum:\n  critical: 0\n', /quorum.*critical/],
    ['quorum:\n  severe: 2\n', /quorum.*severe/],
  ];
  for (const [text, pattern] of fileCases) {
    test(`file: ${JSON.stringify(text)}`, () => {
      const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, text);
      assert.throws(
        () => loadConfig({ CORDON_CONFIG: file }, dir),
        (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
      );
    });
  }
});

test('young-dependency thresholds: defaults, file, environment, and bad values named', () => {
  const d = loadConfig({}, dir);
  assert.deepEqual(d.youngDependency, { maxAgeMs: 30 * 86_400_000, minVersions: 3 });
  const file = join(dir, 'young.yaml');
  writeFileSync(file, 'youngDependencyAge: 14d\nyoungDependencyVersions: 5\n');
  assert.deepEqual(loadConfig({ CORDON_CONFIG: file }, dir).youngDependency, { maxAgeMs: 14 * 86_400_000, minVersions: 5 });
  assert.deepEqual(
    loadConfig({ CORDON_CONFIG: file, CORDON_YOUNG_DEPENDENCY_AGE: '7d', CORDON_YOUNG_DEPENDENCY_VERSIONS: '2' }, dir).youngDependency,
    { maxAgeMs: 7 * 86_400_000, minVersions: 2 },
  );
  assert.throws(
    () => loadConfig({ CORDON_YOUNG_DEPENDENCY_AGE: 'soon' }, dir),
    (err: unknown) => err instanceof ConfigError && /CORDON_YOUNG_DEPENDENCY_AGE="soon"/.test(err.message),
  );
  assert.throws(
    () => loadConfig({ CORDON_YOUNG_DEPENDENCY_VERSIONS: '-1' }, dir),
    (err: unknown) => err instanceof ConfigError && /CORDON_YOUNG_DEPENDENCY_VERSIONS/.test(err.message),
  );
});
