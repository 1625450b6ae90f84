/**
 * KnownVersions keys what it keeps on the store's change generation (read from memory), and trusts
 * nothing it kept while the change feed is not live: then every call reads the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KnownVersions } from '../../server/quarantine/known-versions';
import type { VersionRecord } from '../../server/policy/version-state';

const record = (version: string, state: VersionRecord['state'] = 'released'): VersionRecord => ({
  package: 'lib',
  version,
  state,
  publishedAt: 0,
  firstSeenAt: 0,
  integrity: null,
  tarball: null,
  tarballUrl: null,
  blob: null,
  reason: '',
  updatedAt: 0,
  analysis: null,
  maxSeverity: null,
  findingsDigest: null,
  publisher: null,
});

function harness() {
  const state = { generation: 1, live: true, reads: 0, rows: [record('1.0.0')] };
  const known = new KnownVersions({
    versions: {
      versionsOf: async () => {
        state.reads++;
        return state.rows;
      },
    },
    changes: {
      generation: () => state.generation,
      get live() {
        return state.live;
      },
    },
  });
  return { state, known };
}

test('an unchanged generation is answered from memory; a new one reads the store again', async () => {
  const { state, known } = harness();
  await known.records('lib');
  await known.records('lib');
  assert.equal(state.reads, 1);
  state.rows = [record('1.0.0'), record('1.1.0', 'quarantined')];
  state.generation = 2;
  assert.deepEqual([...(await known.records('lib')).byVersion.keys()], ['1.0.0', '1.1.0']);
  assert.equal(state.reads, 2);
});

test('while the change feed is not live, every call reads the store and nothing read then is kept', async () => {
  const { state, known } = harness();
  await known.records('lib');
  state.live = false;
  // Another mirror changed the package; this one cannot hear it, and its generation did not move.
  state.rows = [record('1.0.0', 'blocked')];
  assert.equal((await known.records('lib')).byVersion.get('1.0.0')?.state, 'blocked');
  assert.equal((await known.records('lib')).byVersion.get('1.0.0')?.state, 'blocked');
  assert.equal(state.reads, 3);
  let decided = 0;
  const { generation } = await known.records('lib');
  known.decisions('lib', generation, 0, () => {
    decided++;
    return new Map();
  });
  known.decisions('lib', generation, 0, () => {
    decided++;
    return new Map();
  });
  assert.equal(decided, 2, 'decisions are not kept either');
  state.live = true;
  await known.records('lib');
  await known.records('lib');
  assert.equal(state.reads, 5, 'back to one read per change once the feed is live');
});
