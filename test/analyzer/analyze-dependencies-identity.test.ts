import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyze,
  dependenciesToCheck,
  dependencyFacts,
  severityAtLeast,
  type DependencyFacts,
  type PackageSide,
} from '../../server/analyzer';
import { BENIGN_INDEX, pkgJson, side } from './fixtures/sides';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const v = (version: string, pkg: object = {}, registry: object = {}, files: Record<string, string> = {}) =>
  side({ 'package.json': pkgJson({ version, main: 'index.js', ...pkg }), 'index.js': BENIGN_INDEX, ...files }, registry);
const established: DependencyFacts = { known: true, firstPublishedAt: NOW - 900 * DAY, versionCount: 40 };

function rulesWith(
  previous: PackageSide,
  next: PackageSide,
  facts: Record<string, DependencyFacts>,
  youngDependency?: { maxAgeMs: number; minVersions: number },
) {
  return analyze(previous, next, {
    dependencies: new Map(Object.entries(facts)),
    now: NOW,
    ...(youngDependency ? { youngDependency } : {}),
  }).findings;
}

test('a dependency first published days ago is medium (flatmap-stream); an established one stays low', () => {
  const prev = v('3.3.5', { dependencies: { through: '^2.3.8' } });
  const next = v('3.3.6', { dependencies: { through: '^2.3.8', 'flatmap-stream': '^0.1.0' } });
  const young = rulesWith(prev, next, {
    'flatmap-stream': { known: true, firstPublishedAt: NOW - 5 * DAY, versionCount: 4 },
    through: established,
  });
  const hit = young.find((f) => f.rule === 'dependency/young-dependency');
  assert.equal(hit?.severity, 'medium', JSON.stringify(young));
  assert.match(hit!.message, /flatmap-stream.*5 day/);
  const twin = rulesWith(prev, next, { 'flatmap-stream': established, through: established });
  assert.deepEqual(
    twin.filter((f) => severityAtLeast(f.severity, 'medium')),
    [],
  );
  assert.ok(twin.some((f) => f.rule === 'dependency/new-dependency' && f.severity === 'low'));
});

test('few versions, an unknown name, or facts missing for an added dependency are medium too', () => {
  const prev = v('1.0.0');
  const next = v('1.0.1', { dependencies: { a: '^1.0.0', b: '^1.0.0', c: '^1.0.0' }, optionalDependencies: { d: '*' } });
  const findings = rulesWith(prev, next, {
    a: { known: true, firstPublishedAt: NOW - 400 * DAY, versionCount: 2 },
    b: { known: false, firstPublishedAt: null, versionCount: 0 },
    d: established,
  });
  const by = (rule: string) => findings.filter((f) => f.rule === rule).map((f) => `${f.severity}:${f.evidence}`);
  assert.deepEqual(by('dependency/young-dependency'), ['medium:"a": "^1.0.0"']);
  assert.deepEqual(by('dependency/unknown-dependency'), ['medium:"b": "^1.0.0"']);
  assert.deepEqual(by('dependency/unchecked-dependency'), ['medium:"c": "^1.0.0"']);
});

test('a widened range counts as added; a narrowed one, an unchanged one and a moved exact pin do not', () => {
  const prev = v('1.0.0', { dependencies: { wide: '^1.2.0', narrow: '^1.0.0', same: '~2.0.0', pinned: '4.68.4', unpinned: '4.68.4' } });
  const next = v('1.0.1', { dependencies: { wide: '>=1.2.0', narrow: '^1.3.0', same: '~2.0.0', pinned: '4.68.5', unpinned: '^4.68.4' } });
  assert.deepEqual(dependenciesToCheck(prev, next), ['unpinned', 'wide']);
  const young: DependencyFacts = { known: true, firstPublishedAt: NOW - DAY, versionCount: 1 };
  const findings = rulesWith(prev, next, { wide: young, narrow: young, same: young, pinned: young, unpinned: young });
  assert.deepEqual(
    findings
      .filter((f) => f.rule === 'dependency/young-dependency')
      .map((f) => f.evidence)
      .sort(),
    ['"unpinned": "^4.68.4"', '"wide": ">=1.2.0"'],
  );
});

test("the thresholds are the caller's", () => {
  const prev = v('1.0.0');
  const next = v('1.0.1', { dependencies: { x: '^1.0.0' } });
  const facts = { x: { known: true, firstPublishedAt: NOW - 10 * DAY, versionCount: 5 } };
  assert.ok(rulesWith(prev, next, facts).some((f) => f.rule === 'dependency/young-dependency'));
  assert.ok(!rulesWith(prev, next, facts, { maxAgeMs: 7 * DAY, minVersions: 3 }).some((f) => f.rule === 'dependency/young-dependency'));
});

test('dependencyFacts reads a packument: first publish time, version count, and 404 as unknown', () => {
  const packument = {
    versions: { '1.0.0': {}, '1.1.0': {} },
    time: {
      modified: '2026-05-30T00:00:00Z',
      created: '2026-05-20T00:00:00Z',
      '1.0.0': '2026-05-20T00:00:01Z',
      '1.1.0': '2026-05-29T00:00:00Z',
    },
  };
  assert.deepEqual(dependencyFacts(packument), { known: true, firstPublishedAt: Date.parse('2026-05-20T00:00:00Z'), versionCount: 2 });
  assert.deepEqual(dependencyFacts(null), { known: false, firstPublishedAt: null, versionCount: 0 });
  assert.deepEqual(dependencyFacts({ versions: { '1.0.0': {} } }), { known: true, firstPublishedAt: null, versionCount: 1 });
  // replayed as of an earlier instant, later versions did not exist yet
  assert.equal(dependencyFacts(packument, Date.parse('2026-05-25T00:00:00Z')).versionCount, 1);
});

const tp = { name: 'GitHub Actions', email: 'npm-oidc-no-reply@github.com', trustedPublisher: { id: 'github', oidcConfigId: 'oidc:1' } };
const attested = {
  dist: {
    attestations: {
      url: 'https://registry.npmjs.org/-/npm/v1/attestations/demo@1.0.0',
      provenance: { predicateType: 'https://slsa.dev/provenance/v1' },
    },
  },
};

test('trusted publishing before and a token publish now is high; the same trusted publisher is quiet', () => {
  const prev = v('1.0.0', {}, { _npmUser: tp, ...attested });
  const token = analyze(prev, v('1.0.1', {}, { _npmUser: { name: 'alice', email: 'a@x' }, ...attested })).findings;
  assert.ok(
    token.some((f) => f.rule === 'metadata/trusted-publishing-dropped' && f.severity === 'high'),
    JSON.stringify(token),
  );
  assert.deepEqual(analyze(prev, v('1.0.1', {}, { _npmUser: tp, ...attested })).findings, []);
});

test('provenance from another repository, workflow or builder is high; the same source is quiet', () => {
  const source = {
    repository: 'https://github.com/acme/demo',
    workflowPath: '.github/workflows/release.yml',
    builder: 'https://github.com/actions/runner/github-hosted',
  };
  const prev: PackageSide = { ...v('1.0.0', {}, attested), provenance: source };
  for (const changed of [
    { repository: 'https://github.com/evil/demo' },
    { workflowPath: '.github/workflows/pwn.yml' },
    { builder: 'https://self-hosted.example' },
  ]) {
    const next: PackageSide = { ...v('1.0.1', {}, attested), provenance: { ...source, ...changed } };
    const hit = analyze(prev, next).findings.filter((f) => f.rule === 'metadata/provenance-source-changed');
    assert.equal(hit.length, 1, JSON.stringify(changed));
    assert.equal(hit[0]!.severity, 'high');
  }
  assert.deepEqual(analyze(prev, { ...v('1.0.1', {}, attested), provenance: { ...source } }).findings, []);
  const dropped = analyze(prev, { ...v('1.0.1'), provenance: null }).findings;
  assert.ok(dropped.some((f) => f.rule === 'metadata/provenance-dropped' && f.severity === 'high'));
});

test('a new publisher or maintainer is low alone and medium with a capability finding', () => {
  const prev = v('1.0.0', {}, { _npmUser: { name: 'alice' }, maintainers: [{ name: 'alice' }] });
  const alone = analyze(
    prev,
    v('1.0.1', {}, { _npmUser: { name: 'mallory' }, maintainers: [{ name: 'alice' }, { name: 'mallory' }] }),
  ).findings;
  assert.deepEqual(alone.map((f) => `${f.rule}:${f.severity}`).sort(), ['metadata/new-maintainer:low', 'metadata/new-publisher:low']);
  const withCapability = analyze(
    prev,
    v(
      '1.0.1',
      {},
      { _npmUser: { name: 'mallory' }, maintainers: [{ name: 'alice' }, { name: 'mallory' }] },
      { 'index.js': `${BENIGN_INDEX}require('child_process');\n` },
    ),
  ).findings;
  assert.ok(
    withCapability.some((f) => f.rule === 'metadata/new-publisher' && f.severity === 'medium'),
    JSON.stringify(withCapability),
  );
  assert.ok(withCapability.some((f) => f.rule === 'metadata/new-maintainer' && f.severity === 'medium'));
  const approver = analyze(
    v('1.0.0', {}, { _npmUser: { ...tp, approver: { name: 'alice' } } }),
    v('1.0.1', {}, { _npmUser: { ...tp, approver: { name: 'mallory' } } }),
  ).findings;
  assert.deepEqual(
    approver.map((f) => `${f.rule}:${f.severity}`),
    ['metadata/new-publisher:low'],
  );
});
