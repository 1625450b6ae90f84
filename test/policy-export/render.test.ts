import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { clientPolicy } from '../../server/quarantine/client-policy';
import { EXPORT_FORMATS, renderExport } from '../../server/policy-export';
import type { VersionRecord } from '../../server/policy/version-state';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;
const record = (pkg: string, version: string, publishedAt: number): VersionRecord => ({
  package: pkg,
  version,
  state: 'approved',
  publishedAt,
  firstSeenAt: publishedAt,
  integrity: 'sha512-x',
  tarball: null,
  tarballUrl: null,
  blob: null,
  reason: 'approved by alice',
  updatedAt: NOW,
  analysis: 'clean',
  maxSeverity: null,
  findingsDigest: 'd',
  publisher: null,
});

const policy = clientPolicy(
  {
    registry: 'http://cordon.internal:4873/',
    cooldownMs: 72 * HOUR,
    rules: [
      { match: '@acme/*', cooldownMs: 0 },
      { match: 'slow-*', cooldownMs: 7 * 24 * HOUR },
      { match: 'left-pad', approval: 'always' },
    ],
    approved: [
      record('demo-pkg', '1.1.0', NOW - 2 * HOUR),
      record('demo-pkg', '1.2.0', NOW - HOUR),
      record('old-pkg', '2.0.0', NOW - 100 * HOUR), // its cooldown ended: no exclusion needed
      record('evil\nname: injected', '1.0.0', NOW - HOUR),
      record('ok-name', '1.0.0\n  - "everything"', NOW - HOUR),
    ],
    ruleFor: () => ({ cooldownMs: 72 * HOUR, approvalAlways: false, matchedBy: null }),
  },
  NOW,
);

test('the policy lists approved versions still inside their cooldown, with the expiry, and the shorter cooldowns', () => {
  assert.deepEqual(
    policy.fastTracked.map((f) => [f.package, f.version, new Date(f.expiresAt).toISOString()]),
    [
      ['demo-pkg', '1.1.0', '2026-11-23T10:00:00.000Z'],
      ['demo-pkg', '1.2.0', '2026-11-23T11:00:00.000Z'],
      ['evil\nname: injected', '1.0.0', '2026-11-23T11:00:00.000Z'],
      ['ok-name', '1.0.0\n  - "everything"', '2026-11-23T11:00:00.000Z'],
    ],
  );
  assert.deepEqual(policy.shorterCooldowns, [{ match: '@acme/*', cooldownMs: 0 }]);
});

test('a hostile package name or version never reaches a config file; each format parses as its kind', () => {
  for (const format of EXPORT_FORMATS) {
    for (const bothGates of [false, true]) {
      const { content } = renderExport(format, policy, { bothGates });
      assert.doesNotMatch(content, /injected|everything/, `${format}: ${content}`);
      assert.match(content, /demo-pkg/);
      if (format === 'renovate') JSON.parse(content);
      if (['pnpm', 'yarn', 'dependabot'].includes(format)) assert.equal(typeof parseYaml(content), 'object');
    }
  }
});

test('each format carries the cooldown (where asked) and the exclusions with their dates', () => {
  const pnpm = parseYaml(renderExport('pnpm', policy, { bothGates: true }).content) as Record<string, unknown>;
  assert.deepEqual(pnpm, {
    registry: 'http://cordon.internal:4873/',
    minimumReleaseAge: 4320,
    minimumReleaseAgeExclude: ['demo-pkg@1.1.0 || 1.2.0', '@acme/*'],
  });
  assert.equal(
    (parseYaml(renderExport('pnpm', policy, { bothGates: false }).content) as Record<string, unknown>).minimumReleaseAge,
    undefined,
    "without --both-gates pnpm's default stays",
  );
  assert.match(
    renderExport('pnpm', policy, { bothGates: false }).content,
    /demo-pkg@1\.1\.0 until 2026-11-23T10:00:00\.000Z, 1\.2\.0 until 2026-11-23T11:00:00\.000Z/,
  );

  const yarn = parseYaml(renderExport('yarn', policy, { bothGates: true }).content) as Record<string, unknown>;
  assert.deepEqual(yarn, {
    npmRegistryServer: 'http://cordon.internal:4873/',
    unsafeHttpWhitelist: ['cordon.internal'],
    npmMinimalAgeGate: 4320,
    npmPreapprovedPackages: ['demo-pkg@1.1.0', 'demo-pkg@1.2.0', '@acme/*'],
  });
  const https = clientPolicy(
    {
      registry: 'https://cordon.example/',
      cooldownMs: 0,
      rules: [],
      approved: [],
      ruleFor: () => ({ cooldownMs: 0, approvalAlways: false, matchedBy: null }),
    },
    NOW,
  );
  assert.doesNotMatch(renderExport('yarn', https, { bothGates: false }).content, /unsafeHttpWhitelist/, 'https needs no whitelist');

  const npmrc = renderExport('npm', policy, { bothGates: true }).content;
  assert.match(npmrc, /^registry=http:\/\/cordon\.internal:4873\/$/m);
  assert.match(npmrc, /^min-release-age=3$/m);
  assert.deepEqual(npmrc.match(/^min-release-age-exclude\[\]=.*$/gm), [
    'min-release-age-exclude[]=demo-pkg',
    'min-release-age-exclude[]=@acme/*',
  ]);

  const bun = renderExport('bun', policy, { bothGates: true }).content;
  assert.match(bun, /^minimumReleaseAge = 259200$/m);
  assert.match(bun, /^minimumReleaseAgeExcludes = \["demo-pkg"\]$/m, 'Bun matches names exactly: the @acme/* rule is a comment');

  const renovate = JSON.parse(renderExport('renovate', policy, { bothGates: false }).content) as {
    minimumReleaseAge: string;
    packageRules: Array<Record<string, unknown>>;
  };
  assert.equal(renovate.minimumReleaseAge, '3 days');
  assert.deepEqual(
    renovate.packageRules.map((r) => [r.matchPackageNames, r.matchJsonata, r.minimumReleaseAge]),
    [
      [undefined, undefined, undefined],
      [['demo-pkg'], ['version = "1.1.0"'], null],
      [['demo-pkg'], ['version = "1.2.0"'], null],
      [['@acme/*'], undefined, null],
    ],
  );

  const dependabot = parseYaml(renderExport('dependabot', policy, { bothGates: false }).content) as {
    updates: Array<{ cooldown: unknown }>;
  };
  assert.deepEqual(dependabot.updates[0]!.cooldown, { 'default-days': 3, exclude: ['demo-pkg', '@acme/*'] });
});
