import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterManifest, emptyManifest } from '../../server/policy/filter-manifest';
import { integrityOf, publishTime, tarballBasename, type Packument } from '../../server/policy/manifest';

function packument(): Packument {
  return {
    name: 'demo',
    'dist-tags': { latest: '1.1.0', beta: '2.0.0-beta.1' },
    versions: {
      '1.0.0': { version: '1.0.0', readme: 'old readme', dist: { tarball: 'https://r/demo/-/demo-1.0.0.tgz' } },
      '1.1.0': { version: '1.1.0', dist: { tarball: 'https://r/demo/-/demo-1.1.0.tgz' } },
      '2.0.0-beta.1': { version: '2.0.0-beta.1', dist: { tarball: 'https://r/demo/-/demo-2.0.0-beta.1.tgz' } },
    },
    time: {
      created: '2026-01-01T00:00:00.000Z',
      modified: '2026-11-20T00:00:00.000Z',
      '1.0.0': '2026-01-01T00:00:00.000Z',
      '1.1.0': '2026-11-20T00:00:00.000Z',
      '2.0.0-beta.1': '2026-11-19T00:00:00.000Z',
    },
    readme: 'new readme',
    _distfiles: { 'demo-1.0.0.tgz': { url: 'u0' }, 'demo-1.1.0.tgz': { url: 'u1' }, 'demo-2.0.0-beta.1.tgz': { url: 'u2' } },
  };
}

test('hidden versions leave versions, time, dist-tags, readme and dist files', () => {
  const input = packument();
  const snapshot = JSON.stringify(input);
  const out = filterManifest(input, (v) => v === '1.0.0');
  assert.deepEqual(Object.keys(out.versions), ['1.0.0']);
  assert.deepEqual(out['dist-tags'], { latest: '1.0.0' });
  assert.deepEqual(Object.keys(out.time!).sort(), ['1.0.0', 'created', 'modified']);
  assert.equal(out.time!.modified, '2026-01-01T00:00:00.000Z');
  assert.equal(out.readme, 'old readme');
  assert.deepEqual(Object.keys(out._distfiles!), ['demo-1.0.0.tgz']);
  assert.equal(JSON.stringify(input), snapshot, 'the input is not changed');
  assert.ok(!JSON.stringify(out).includes('1.1.0'), 'no trace of the hidden stable version');
});

test('readme is dropped when the new latest has none', () => {
  const out = filterManifest(packument(), (v) => v !== '1.1.0' && v !== '1.0.0');
  assert.equal(out.readme, undefined);
  assert.deepEqual(out['dist-tags'], { beta: '2.0.0-beta.1' });
});

test('everything visible changes nothing but the dist-tags object identity', () => {
  const out = filterManifest(packument(), () => true);
  assert.deepEqual(Object.keys(out.versions), ['1.0.0', '1.1.0', '2.0.0-beta.1']);
  assert.equal(out.readme, 'new readme');
  assert.deepEqual(out['dist-tags'], { latest: '1.1.0', beta: '2.0.0-beta.1' });
});

test('emptyManifest has no versions', () => {
  assert.deepEqual(emptyManifest({ name: 'x' }), { name: 'x', versions: {}, 'dist-tags': {}, time: {} });
});

test('manifest helpers', () => {
  assert.equal(tarballBasename('https://r/@s/p/-/p-1.0.0.tgz?x=1'), 'p-1.0.0.tgz');
  assert.equal(tarballBasename(undefined), null);
  assert.equal(publishTime({ time: { '1.0.0': 'not a date' } }, '1.0.0'), null);
  assert.equal(publishTime({ time: {} }, '1.0.0'), null);
  assert.equal(publishTime({ time: { '1.0.0': '2026-01-01T00:00:00Z' } }, '1.0.0'), Date.parse('2026-01-01T00:00:00Z'));
  const sri = integrityOf({ dist: { integrity: 'sha512-AAAA', shasum: 'a'.repeat(40) } })!;
  assert.match(sri, /^sha512-AAAA sha1-/);
  assert.equal(integrityOf({}), null);
});

test('a served version carries only its pinned digest, and keeps attestations, signatures, publisher and time for clients that check them', () => {
  const attestations = {
    url: 'https://r.test/-/npm/v1/attestations/p@1.0.0',
    provenance: { predicateType: 'https://slsa.dev/provenance/v1' },
  };
  const packument: Packument = {
    name: 'p',
    versions: {
      '1.0.0': {
        version: '1.0.0',
        _npmUser: { name: 'alice', trustedPublisher: { id: 'github' } },
        dist: {
          integrity: 'sha512-PIN sha512-OTHER',
          shasum: 'a'.repeat(40),
          tarball: 'https://r.test/p/-/p-1.0.0.tgz',
          attestations,
          signatures: [{ keyid: 'k', sig: 's' }],
        },
      },
    },
    time: { created: '2020-01-01T00:00:00.000Z', '1.0.0': '2020-01-01T00:00:00.000Z' },
    'dist-tags': { latest: '1.0.0' },
  };
  const out = filterManifest(
    packument,
    () => true,
    () => 'sha512-PIN',
  );
  assert.deepEqual(out.versions['1.0.0']!.dist, {
    integrity: 'sha512-PIN',
    tarball: 'https://r.test/p/-/p-1.0.0.tgz',
    attestations,
    signatures: [{ keyid: 'k', sig: 's' }],
  });
  assert.deepEqual(out.versions['1.0.0']!._npmUser, { name: 'alice', trustedPublisher: { id: 'github' } });
  assert.equal(out.time?.['1.0.0'], '2020-01-01T00:00:00.000Z');
  assert.equal(packument.versions['1.0.0']!.dist!.integrity, 'sha512-PIN sha512-OTHER', 'the input is not changed');
  assert.deepEqual(
    Object.keys(
      filterManifest(
        packument,
        () => true,
        () => null,
      ).versions,
    ),
    [],
    'a version without a pin is not served',
  );
  const sha1 = filterManifest(
    packument,
    () => true,
    () => `sha1-${Buffer.from('b'.repeat(40), 'hex').toString('base64')}`,
  );
  assert.equal(sha1.versions['1.0.0']!.dist!.shasum, 'b'.repeat(40), 'a sha1 pin is also the shasum');
});
