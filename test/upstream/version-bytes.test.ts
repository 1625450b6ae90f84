import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../../server/blobs/blob-store';
import { BlobError } from '../../server/blobs/errors';
import { TarballError } from '../../server/tarball/errors';
import type { VersionRecord } from '../../server/policy/version-state';
import { fetchVersion, pinnedFromManifest, pinnedOf, storedVersionBytes } from '../../server/upstream/version-bytes';
import { packTarball } from '../helpers/pack-tarball';
import { startFakeRegistry } from './fake-registry';

const tgz = packTarball({ 'package.json': '{"name":"demo","version":"1.0.0"}', 'index.js': 'module.exports = 1;\n' });
const sri = (b: Buffer, alg = 'sha512') => `${alg}-${createHash(alg).update(b).digest('base64')}`;
const T = Date.parse('2026-11-20T12:00:00Z');

async function withStore(
  fn: (blobs: BlobStore, url: string, requests: string[]) => Promise<void>,
  routes: Record<string, Buffer> = { '/demo/-/demo-1.0.0.tgz': tgz },
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-version-bytes-'));
  const reg = await startFakeRegistry(routes);
  try {
    await fn(new BlobStore(dir, { maxBytes: 1024 * 1024, timeoutMs: 5_000 }), reg.url, reg.requests);
  } finally {
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('fetches, verifies and unpacks a pinned version once; the second read comes from the verified store', async () => {
  await withStore(async (blobs, url, requests) => {
    const pinned = { name: 'demo', version: '1.0.0', integrity: sri(tgz), tarballUrl: `${url}demo/-/demo-1.0.0.tgz`, blob: null };
    const first = await fetchVersion(blobs, pinned);
    assert.deepEqual(first.bytes, tgz);
    assert.equal(first.sha512, sri(tgz));
    assert.deepEqual(
      first
        .unpack()
        .files.map((f) => f.path)
        .sort(),
      ['index.js', 'package.json'],
    );
    assert.equal(first.unpack(), first.unpack(), 'unpacked once');
    const again = await fetchVersion(blobs, pinned);
    assert.deepEqual(again.bytes, tgz);
    assert.equal(requests.length, 1, 'one download');
  });
});

test('bytes that do not match the pin, or no pin at all, are refused before anything is read', async () => {
  await withStore(async (blobs, url) => {
    const other = {
      name: 'demo',
      version: '1.0.0',
      integrity: sri(Buffer.from('other')),
      tarballUrl: `${url}demo/-/demo-1.0.0.tgz`,
      blob: null,
    };
    await assert.rejects(fetchVersion(blobs, other), (err: unknown) => err instanceof BlobError && err.code === 'DIGEST_MISMATCH');
    await assert.rejects(
      fetchVersion(blobs, { ...other, integrity: 'sha512-a sha512-b' }),
      (err: unknown) => err instanceof BlobError && err.code === 'DIGEST_MISMATCH',
    );
  });
});

test('verified bytes that are no tarball fail on unpack with TarballError', async () => {
  const junk = Buffer.from('\x1f\x8b not really gzip');
  await withStore(
    async (blobs, url) => {
      const fetched = await fetchVersion(blobs, {
        name: 'demo',
        version: '1.0.0',
        integrity: sri(junk),
        tarballUrl: `${url}demo/-/demo-1.0.0.tgz`,
        blob: null,
      });
      assert.throws(() => fetched.unpack(), TarballError);
    },
    { '/demo/-/demo-1.0.0.tgz': junk },
  );
});

test('the pinned record comes from the store record or, for an unknown version, from upstream’s manifest', async () => {
  await withStore(async (blobs, url) => {
    const record: VersionRecord = {
      package: 'demo',
      version: '1.0.0',
      state: 'quarantined',
      publishedAt: T,
      firstSeenAt: T,
      integrity: sri(tgz),
      tarball: 'demo-1.0.0.tgz',
      tarballUrl: null,
      blob: null,
      reason: '',
      updatedAt: T,
      analysis: 'pending',
      maxSeverity: null,
      findingsDigest: null,
      publisher: null,
    };
    assert.deepEqual(pinnedOf(record, url), {
      name: 'demo',
      version: '1.0.0',
      integrity: sri(tgz),
      tarballUrl: `${url}demo/-/demo-1.0.0.tgz`,
      blob: null,
    });
    assert.equal(pinnedOf({ ...record, integrity: null }, url), null);
    assert.deepEqual(
      pinnedFromManifest('demo', '1.0.0', { integrity: sri(tgz), tarball: `${url}demo/-/demo-1.0.0.tgz` }, url).blob,
      sri(tgz),
    );
    assert.throws(() => pinnedFromManifest('demo', '1.0.0', { tarball: `${url}demo/-/demo-1.0.0.tgz` }, url), BlobError);
    const load = storedVersionBytes(blobs, async (n, v) => (n === 'demo' && v === '1.0.0' ? record : undefined), url);
    assert.deepEqual(await load('demo', '1.0.0', sri(tgz)), tgz);
    await assert.rejects(
      load('demo', '1.0.0', sri(Buffer.from('x'))),
      (err: unknown) => err instanceof BlobError && err.code === 'DIGEST_MISMATCH',
    );
  });
});
