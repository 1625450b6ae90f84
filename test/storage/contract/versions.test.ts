/** Store contract: sightings, reads of versions, pinned bytes. */
import assert from 'node:assert/strict';
import { contract, move, rec, T } from './contract';

const job = (pkg: string, version: string) => ({
  id: `job-${pkg}-${version}`,
  package: pkg,
  version,
  integrity: `sha512-${pkg}-${version}`,
  previousVersion: null,
  previousIntegrity: null,
});

contract('a sighting keeps new versions, their jobs and findings, and the transitions that still apply — together', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0', 'released')], []);
  const findings = [{ category: 'metadata', rule: 'metadata/new-package', severity: 'low', message: 'new' }];
  const applied = await store.versions.recordSighting(
    'demo',
    T + 5,
    [rec('demo', '1.1.0'), rec('demo', '1.2.0', 'held')],
    [move('demo', '1.0.0', 'released', 'blocked', T + 5, 'integrity-changed'), move('demo', '1.0.0', 'quarantined', 'released')],
    [job('demo', '1.1.0'), job('demo', '9.9.9')],
    [{ version: '1.2.0', integrity: 'sha512-demo-1.2.0', findings, digest: 'dg', maxSeverity: 'low', analyzerVersion: 'a1' }],
  );
  assert.deepEqual(
    applied.map((t) => [t.version, t.to]),
    [['1.0.0', 'blocked']],
    'only the transition whose from still matched',
  );
  assert.deepEqual((await store.versions.versionsOf('demo')).map((v) => [v.version, v.state]).sort(), [
    ['1.0.0', 'blocked'],
    ['1.1.0', 'quarantined'],
    ['1.2.0', 'held'],
  ]);
  assert.equal((await store.jobs.get('job-demo-1.1.0'))?.status, 'waiting');
  assert.equal(await store.jobs.get('job-demo-9.9.9'), undefined, 'no job for a version the sighting did not insert');
  assert.deepEqual((await store.analyses.analysisOf('demo', '1.2.0', 'sha512-demo-1.2.0'))?.findings, findings);
  const audit = await store.audit.ofPackage('demo');
  assert.deepEqual(
    audit.map((e) => [e.version, e.cause, e.fromState, e.toState]),
    [
      ['1.0.0', 'first-sight', null, 'released'],
      ['1.1.0', 'first-sight', null, 'quarantined'],
      ['1.2.0', 'first-sight', null, 'held'],
      ['1.0.0', 'integrity-changed', 'released', 'blocked'],
    ],
  );

  // The same sighting again (another mirror saw it first): rows stand, nothing is added twice.
  const again = await store.versions.recordSighting(
    'demo',
    T + 9,
    [rec('demo', '1.1.0', 'released')],
    [move('demo', '1.0.0', 'released', 'blocked')],
    [{ ...job('demo', '1.1.0'), id: 'job-again' }],
  );
  assert.deepEqual(again, []);
  assert.equal((await store.versions.versionOf('demo', '1.1.0'))?.state, 'quarantined');
  assert.equal(await store.jobs.get('job-again'), undefined);
  assert.equal((await store.audit.ofPackage('demo')).length, 4);
});

contract('a sighting that fails part-way keeps nothing of itself', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
  const head = await store.audit.head();
  // A transition to approved without a signed decision is refused by the store, and takes the whole sighting with it.
  await assert.rejects(
    store.versions.recordSighting(
      'demo',
      T + 1,
      [rec('demo', '2.0.0')],
      [move('demo', '1.0.0', 'quarantined', 'approved')],
      [job('demo', '2.0.0')],
    ),
  );
  assert.equal(await store.versions.versionOf('demo', '2.0.0'), undefined);
  assert.equal(await store.jobs.get('job-demo-2.0.0'), undefined);
  assert.equal((await store.versions.versionOf('demo', '1.0.0'))?.state, 'quarantined');
  assert.deepEqual(await store.audit.head(), head);
});

contract('versions are found by package, publisher, tarball, state and recency', async (store) => {
  assert.equal(await store.versions.hasPackage('demo'), false);
  await store.versions.recordSighting(
    'demo',
    T,
    [
      rec('demo', '1.0.0', 'released', { publisher: 'eve', publishedAt: T - 3000 }),
      rec('demo', '1.1.0', 'quarantined', { publisher: 'eve', publishedAt: T - 2000, analysis: 'clean' }),
      rec('demo', '1.2.0', 'quarantined', { publisher: 'bob', publishedAt: T - 1000 }),
    ],
    [],
  );
  await store.versions.recordSighting(
    '@acme/tool',
    T,
    [rec('@acme/tool', '0.1.0', 'held', { publisher: 'eve', publishedAt: T - 2500 })],
    [],
  );
  assert.equal(await store.versions.hasPackage('demo'), true);
  assert.equal((await store.versions.versionOf('demo', '1.1.0'))?.publisher, 'eve');
  assert.equal(await store.versions.versionOf('demo', '7.0.0'), undefined);
  assert.deepEqual(
    (await store.versions.versionsByPublisher('eve', T - 2800, T)).map((v) => `${v.package}@${v.version}`),
    ['@acme/tool@0.1.0', 'demo@1.1.0'],
    'oldest first, inside the window',
  );
  assert.deepEqual(
    (await store.versions.versionsByTarball('demo', 'demo-1.2.0.tgz')).map((v) => v.version),
    ['1.2.0'],
  );
  assert.deepEqual(
    (await store.versions.versionsInState('quarantined')).map((v) => v.version),
    ['1.1.0', '1.2.0'],
  );
  assert.deepEqual(
    (await store.versions.cleanWaiting('demo')).map((v) => v.version),
    ['1.1.0'],
  );
  assert.deepEqual(await store.versions.packagesInState('quarantined'), ['demo']);
  assert.deepEqual(await store.versions.packagesInState('held'), ['@acme/tool']);

  await store.versions.transition(move('demo', '1.2.0', 'quarantined', 'held', T + 100));
  assert.deepEqual(await store.versions.packagesInStateSince('held', T + 50), ['demo']);
  assert.deepEqual(
    (await store.versions.recentInStates(['held', 'released'], 2)).map((v) => v.version),
    ['1.2.0', '0.1.0'],
    'newest change first, at most the limit',
  );
});

contract('the first verified blob of pinned bytes stands; another pin gets null', async (store) => {
  await store.versions.recordSighting('demo', T, [rec('demo', '1.0.0')], []);
  assert.equal(await store.versions.recordBlob('demo', '1.0.0', 'sha512-demo-1.0.0', 'blob-a'), 'blob-a');
  assert.equal(await store.versions.recordBlob('demo', '1.0.0', 'sha512-demo-1.0.0', 'blob-b'), 'blob-a', 'the first writer wins');
  assert.equal(await store.versions.recordBlob('demo', '1.0.0', 'sha512-other', 'blob-c'), null);
  assert.equal((await store.versions.versionOf('demo', '1.0.0'))?.blob, 'blob-a');
  await store.versions.markRefreshed('demo', T + 1);
});
