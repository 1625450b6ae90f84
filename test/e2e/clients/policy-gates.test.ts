/**
 * `cordon policy export` against the clients' and bots' own parsers, and the point of it: a version an
 * approver fast-tracked installs with pnpm's and Yarn's default one-day gates on (and with npm's and Bun's
 * gates set to the cooldown), where without the export the client's own gate refuses it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ManualClock } from '../../../server/clock';
import { DAY, HOUR, startTestMirror, type TestMirror } from '../../helpers/mirror';
import { ClientProject, output } from '../../helpers/package-clients';
import { NpmClient } from '../../helpers/npm-client';
import { runProcess } from '../../helpers/run-process';
import { cordon } from '../../approvals/approval-mirror';
import { testApprover } from '../../approvals/keys';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
/** Renovate is ESM; the compiled tests are CommonJS, whose `import()` would become `require()`. */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, any>>;

describe('cordon policy export, read by each client and bot', () => {
  let m: TestMirror;
  let configDir: string;
  let now: number;
  const exported = async (format: string, bothGates = false): Promise<string> => {
    const res = await cordon(['policy', 'export', '--format', format, ...(bothGates ? ['--both-gates'] : [])], {
      CORDON_URL: m.mirror.url,
    });
    assert.equal(res.code, 0, res.stderr);
    return res.stdout;
  };

  before(async () => {
    now = Date.now(); // the clients' own gates read the wall clock
    const alice = testApprover('alice');
    configDir = mkdtempSync(join(tmpdir(), 'cordon-policy-gates-'));
    writeFileSync(
      join(configDir, 'cordon.yaml'),
      `approvers:\n  - name: alice\n    key: ${JSON.stringify(alice.approver.line)}\npackages:\n  - match: "@acme/*"\n    cooldown: 0\n`,
    );
    m = await startTestMirror({ clock: new ManualClock(now), env: { CORDON_CONFIG: join(configDir, 'cordon.yaml') } });
    m.upstream.publish('demo-pkg', '1.0.0', { time: now - 60 * DAY });
    m.upstream.publish('demo-pkg', '1.1.0', { time: now - 2 * HOUR });
    m.upstream.publish('@acme/tool', '1.0.0', { time: now - HOUR });
    for (const name of ['demo-pkg', '@acme%2ftool']) await (await fetch(`${m.mirror.url}${name}`)).arrayBuffer();
    await m.mirror.pipeline.drain();
    // alice fast-tracks 1.1.0: a real signed approval, 70 hours before its cooldown ends.
    const { approvals } = m.mirror.runtime;
    const { text } = await approvals.statementFor('demo-pkg', '1.1.0', 'approve', 'reviewed the diff', alice.approver.publicKey);
    await approvals.submit('demo-pkg', '1.1.0', text, alice.sign(text, 'cordon-approval'));
    assert.equal((await m.mirror.runtime.store.versions.versionOf('demo-pkg', '1.1.0'))?.state, 'approved');
  });
  after(async () => {
    await m.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  test('the JSON endpoint lists the fast-tracked version with its expiry and the shorter cooldown', async () => {
    const policy = (await (await fetch(`${m.mirror.url}-/cordon/api/v1/policy`)).json()) as Record<string, unknown>;
    assert.deepEqual(policy.fastTracked, [
      {
        package: 'demo-pkg',
        version: '1.1.0',
        expiresAt: new Date(now - 2 * HOUR + 3 * DAY).toISOString(),
        reason: 'approved by alice (1 of 1 needed for no findings), fast-tracked before its cooldown ended',
      },
    ]);
    assert.deepEqual(policy.shorterCooldowns, [{ match: '@acme/*', cooldownMs: 0 }]);
    const res = await fetch(`${m.mirror.url}-/cordon/api/v1/policy/export?format=pnpm`);
    const body = (await res.json()) as { file: string; content: string };
    assert.equal(body.file, 'pnpm-workspace.yaml');
    assert.equal(
      body.content.split('\n').slice(2).join('\n'),
      (await exported('pnpm')).split('\n').slice(2).join('\n'),
      'the CLI prints what the endpoint serves',
    );
    const bad = await fetch(`${m.mirror.url}-/cordon/api/v1/policy/export?format=maven`);
    assert.equal(bad.status, 400);
  });

  test('pnpm 12 with its default 1-day gate: a range skips the fast-tracked version without the export, gets it with it', async () => {
    const pnpm = new ClientProject('pnpm', m.mirror.url);
    try {
      pnpm.reset({ 'demo-pkg': '^1.0.0' });
      const without = await pnpm.run(['install', '--ignore-scripts']);
      assert.equal(without.code, 0, output(without));
      assert.equal(pnpm.installed('demo-pkg'), '1.0.0', "pnpm's own gate passes over 1.1.0, younger than a day");
      pnpm.reset({ 'demo-pkg': '^1.0.0', '@acme/tool': '^1.0.0' });
      pnpm.write('pnpm-workspace.yaml', await exported('pnpm'));
      const withExport = await pnpm.run(['install', '--ignore-scripts']);
      assert.equal(withExport.code, 0, output(withExport));
      assert.equal(pnpm.installed('demo-pkg'), '1.1.0');
      assert.equal(pnpm.installed('@acme/tool'), '1.0.0');
      pnpm.write('pnpm-workspace.yaml', await exported('pnpm', true));
      const age = await pnpm.run(['config', 'get', 'minimumReleaseAge']);
      assert.equal(age.stdout.trim(), '4320', output(age));
    } finally {
      pnpm.remove();
    }
  });

  test('Yarn 4 with its default 1-day gate: refused without the export, installed with it', async () => {
    const yarn = new ClientProject('yarn4', m.mirror.url);
    try {
      const without = await yarn.run(['add', 'demo-pkg@1.1.0', '--mode=skip-build']);
      assert.notEqual(without.code, 0, output(without));
      yarn.reset();
      yarn.write('.yarnrc.yml', `${await exported('yarn')}${yarn.yarnIsolation()}`);
      const withExport = await yarn.run(['add', 'demo-pkg@1.1.0', '--mode=skip-build']);
      assert.equal(withExport.code, 0, output(withExport));
      assert.equal(yarn.installed('demo-pkg'), '1.1.0');
      yarn.write('.yarnrc.yml', `${await exported('yarn', true)}${yarn.yarnIsolation()}`);
      const age = await yarn.run(['config', 'get', 'npmMinimalAgeGate']);
      assert.equal(age.stdout.trim(), '4320', output(age));
    } finally {
      yarn.remove();
    }
  });

  test('Bun and npm with their gates set to the cooldown: the exclusion lets the fast-tracked version in', async () => {
    const bun = new ClientProject('bun', m.mirror.url);
    const npm = new NpmClient(m.mirror.url);
    try {
      const bunfig = await exported('bun', true);
      assert.match(bunfig, /^minimumReleaseAge = 259200$/m);
      bun.write('bunfig.toml', bunfig.replace(/^minimumReleaseAgeExcludes = .*$/m, 'minimumReleaseAgeExcludes = []'));
      const bunWithout = await bun.run(['add', 'demo-pkg@1.1.0', '--ignore-scripts']);
      assert.notEqual(bunWithout.code, 0, output(bunWithout));
      bun.reset();
      bun.write('bunfig.toml', bunfig);
      const bunWith = await bun.run(['add', 'demo-pkg@1.1.0', '--ignore-scripts']);
      assert.equal(bunWith.code, 0, output(bunWith));
      assert.equal(bun.installed('demo-pkg'), '1.1.0');

      const npmrc = await exported('npm', true);
      assert.match(npmrc, /^min-release-age=3$/m);
      writeFileSync(join(npm.dir, '.npmrc'), npmrc.replace(/^min-release-age-exclude\[\]=demo-pkg$/m, ''));
      const npmWithout = await npm.run(['install', 'demo-pkg@1.1.0', '--ignore-scripts']);
      assert.notEqual(npmWithout.code, 0, npmWithout.stderr);
      npm.reset();
      writeFileSync(join(npm.dir, '.npmrc'), npmrc);
      const npmWith = await npm.run(['install', 'demo-pkg@1.1.0', '--ignore-scripts']);
      assert.equal(npmWith.code, 0, npmWith.stderr);
      assert.equal(npm.installed('demo-pkg'), '1.1.0');
    } finally {
      bun.remove();
      npm.remove();
    }
  });

  test('Renovate: its own validator accepts the export, and its own package rules let only the fast-tracked version skip the wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cordon-renovate-'));
    try {
      const json = await exported('renovate');
      writeFileSync(join(dir, 'renovate.json'), json);
      const validator = join(ROOT, 'node_modules', '.bin', 'renovate-config-validator');
      const env = { PATH: process.env.PATH, HOME: dir, LOG_LEVEL: 'warn' };
      const valid = await runProcess(validator, ['--strict'], { cwd: dir, env });
      assert.equal(valid.code, 0, output(valid));
      writeFileSync(join(dir, 'renovate.json'), json.replace('"minimumReleaseAge": "3 days"', '"minimumReleaseAge": 3'));
      const invalid = await runProcess(validator, ['--strict'], { cwd: dir, env });
      assert.equal(invalid.code, 1, 'the validator catches a broken export');

      const config = JSON.parse(json) as Record<string, unknown>;
      const { applyPackageRules } = await importEsm('renovate/dist/util/package-rules/index.js');
      const { checkMinimumReleaseAge } = await importEsm('renovate/dist/util/minimum-release-age.js');
      const releasedAt = new Date(now - 2 * HOUR).toISOString();
      const pending = async (version: string): Promise<boolean> => {
        const resolved = await applyPackageRules(
          {
            ...config,
            datasource: 'npm',
            packageName: 'demo-pkg',
            depName: 'demo-pkg',
            version,
            releaseTimestamp: releasedAt,
            updateType: 'minor',
          },
          'update-type',
        );
        return checkMinimumReleaseAge(resolved, releasedAt).isPending as boolean;
      };
      assert.equal(await pending('1.1.0'), false, 'the fast-tracked version gets a pull request now');
      assert.equal(await pending('1.2.0'), true, 'any other young version waits the cooldown');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Dependabot: a cooldown of the whole days of the mirror, the mirror as registry, fast-tracked packages excluded', async () => {
    const doc = parseYaml(await exported('dependabot')) as {
      version: number;
      registries: Record<string, { type: string; url: string }>;
      updates: Array<Record<string, any>>;
    };
    assert.equal(doc.version, 2);
    assert.deepEqual(doc.registries.cordon, { type: 'npm-registry', url: m.mirror.url, 'replaces-base': true });
    assert.equal(doc.updates[0]!['package-ecosystem'], 'npm');
    assert.deepEqual(doc.updates[0]!.registries, ['cordon']);
    assert.deepEqual(doc.updates[0]!.cooldown, { 'default-days': 3, exclude: ['demo-pkg', '@acme/*'] });
  });
});
