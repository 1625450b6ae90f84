import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestMirror, DAY, HOUR, type TestMirror } from '../helpers/mirror';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const ABBREVIATED = 'application/vnd.npm.install-v1+json';

describe('a version in cooldown is hidden everywhere', () => {
  let m: TestMirror;
  let base: string;
  before(async () => {
    m = await startTestMirror({ now: NOW });
    base = m.mirror.url;
    for (const name of ['left-pad', '@acme/ui']) {
      m.upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY });
      m.upstream.publish(name, '1.1.0', { time: NOW - 10 * DAY });
      m.upstream.publish(name, '2.0.0-beta.1', { time: NOW - 9 * DAY });
      m.upstream.publish(name, '1.2.0', { time: NOW - HOUR });
      m.upstream.publish(name, '2.0.0-beta.2', { time: NOW - HOUR });
      m.upstream.tag(name, 'beta', '2.0.0-beta.2');
    }
    m.upstream.publish('fresh-only', '0.1.0', { time: NOW - HOUR });
  });
  after(() => m.stop());

  for (const name of ['left-pad', '@acme/ui']) {
    const enc = name.replace('/', '%2f');
    const unscoped = name.slice(name.lastIndexOf('/') + 1);

    test(`${name}: full and abbreviated packuments`, async () => {
      for (const accept of ['application/json', ABBREVIATED]) {
        const res = await fetch(`${base}${enc}`, { headers: { accept } });
        assert.equal(res.status, 200);
        const doc = (await res.json()) as Record<string, any>;
        assert.deepEqual(Object.keys(doc.versions).sort(), ['1.0.0', '1.1.0', '2.0.0-beta.1'], accept);
        assert.deepEqual(doc['dist-tags'], { latest: '1.1.0', beta: '2.0.0-beta.1' }, accept);
        if (accept === 'application/json')
          assert.ok(
            doc.time && !('1.2.0' in doc.time) && !('2.0.0-beta.2' in doc.time) && '1.1.0' in doc.time,
            'time lists only visible versions',
          );
        const text = JSON.stringify(doc);
        assert.ok(!text.includes('1.2.0') && !text.includes('beta.2'), `${accept}: no trace of hidden versions`);
      }
    });

    test(`${name}: single-version manifests and dist-tags`, async () => {
      assert.equal((await fetch(`${base}${enc}/1.1.0`)).status, 200);
      const hidden = await fetch(`${base}${enc}/1.2.0`);
      assert.equal(hidden.status, 403);
      assert.equal(((await hidden.json()) as { code: string }).code, 'QUARANTINED');
      const latest = await fetch(`${base}${enc}/latest`);
      assert.equal(((await latest.json()) as { version: string }).version, '1.1.0');
      const tags = await fetch(`${base}-/package/${enc}/dist-tags`);
      assert.deepEqual(await tags.json(), { latest: '1.1.0', beta: '2.0.0-beta.1' });
    });

    test(`${name}: tarballs in every spelling, GET and HEAD`, async () => {
      const spellings = [
        `${name}/-/${unscoped}-1.2.0.tgz`,
        `${enc}/-/${unscoped}-1.2.0.tgz`,
        `${name.replace('@', '%40')}/-/${unscoped}-1.2.0.tgz`,
        `${name.replace('@', '%40').replace('/', '%2F')}/-/${unscoped}-1.2.0.tgz`,
        `${name}/-/${unscoped}-1.2.0.tgz/`,
        `${name}/-/${unscoped}-1.2.0.tgz?x=1`,
        `${name}/-/${unscoped}-1%2E2%2E0.tgz`,
        `${name.replace('@', '%2540')}/-/${unscoped}-1.2.0.tgz`,
      ];
      for (const path of spellings) {
        for (const method of ['GET', 'HEAD']) {
          const res = await fetch(`${base}${path}`, { method });
          assert.equal(res.status, 403, `${method} ${path}`);
          if (method === 'GET') {
            const body = (await res.json()) as Record<string, string>;
            assert.equal(body.code, 'QUARANTINED');
            assert.equal(body.package, name);
            assert.equal(body.version, '1.2.0');
            assert.equal(body.state, 'quarantined');
            assert.equal(body.releaseAt, new Date(NOW - HOUR + 72 * HOUR).toISOString());
            assert.match(body.error, new RegExp(`${name}@1\\.2\\.0 is quarantined.*${body.releaseAt}`));
          }
        }
      }
      const ok = await fetch(`${base}${enc}/-/${unscoped}-1.1.0.tgz`);
      assert.equal(ok.status, 200);
      assert.ok((await ok.arrayBuffer()).byteLength > 0);
    });
  }

  test('a package whose only version is new has no versions and no latest', async () => {
    const doc = (await (await fetch(`${base}fresh-only`)).json()) as Record<string, any>;
    assert.deepEqual(doc.versions, {});
    assert.equal(doc['dist-tags'].latest, undefined);
    assert.equal((await fetch(`${base}fresh-only/latest`)).status, 404);
  });

  test('search results name only visible versions', async () => {
    const res = await fetch(`${base}-/v1/search?text=pad`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { objects: Array<{ package: { name: string; version?: string } }> };
    const entry = body.objects.find((o) => o.package.name === 'left-pad');
    assert.equal(entry?.package.version, '1.1.0');
    assert.ok(!JSON.stringify(body).includes('1.2.0'));
    const fresh = (await (await fetch(`${base}-/v1/search?text=fresh`)).json()) as { objects: unknown[] };
    assert.equal(fresh.objects.length, 0, 'a package with no visible version is left out');
  });

  test("Verdaccio's web UI data endpoints do not show hidden versions", async () => {
    // Verdaccio 6 mounts its web API under /-/verdaccio/ and prefixes the routes with it again.
    const data = `${base}-/verdaccio/-/verdaccio/data`;
    for (const path of ['sidebar/left-pad', 'sidebar/@acme/ui', 'package/readme/left-pad', 'search/pad', 'packages']) {
      const res = await fetch(`${data}/${path}`);
      assert.equal(res.status, 200, path);
      const text = await res.text();
      assert.ok(!text.includes('1.2.0') && !text.includes('beta.2'), path);
      if (path.startsWith('sidebar')) assert.ok(text.includes('1.1.0'), path);
    }
  });

  test('the old /-/all listing shows only visible versions', async () => {
    for (const path of ['-/all', '-/all/since?stale=update_after&startkey=0']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, path);
      const text = await res.text();
      assert.ok(!text.includes('1.2.0') && !text.includes('beta.2'), path);
    }
  });

  test('listings hide hidden versions in every spelling Express and Verdaccio accept', async () => {
    const spellings = [
      '-/v1/search?text=pad',
      '-/V1/search?text=pad',
      '-/v1/SEARCH?text=pad',
      '-/V1/Search/?text=pad',
      '-/v1/search/?text=pad',
      '-/all',
      '-/ALL',
      '-/All/since?stale=update_after&startkey=0',
      '-/all/SINCE?stale=update_after&startkey=0',
      '-/all/',
      '-/ALL/Since/',
      '-/v1/%73earch?text=pad',
      '-/%61ll',
      '//-/v1/search?text=pad',
      '-/v1//search?text=pad',
    ];
    let answered = 0;
    for (const path of spellings) {
      const res = await fetch(`${base}${path}`);
      const text = await res.text();
      if (res.status === 200) answered++;
      assert.ok(
        !text.includes('1.2.0') && !text.includes('beta.2'),
        `${path} (${res.status}) shows a hidden version: ${text.slice(0, 200)}`,
      );
    }
    assert.ok(answered >= 10, 'the case and slash variants are answered, and answered filtered');
  });

  test('the packument carries only the pinned digest of each version', async () => {
    const doc = (await (await fetch(`${base}left-pad`)).json()) as { versions: Record<string, { dist: Record<string, unknown> }> };
    for (const [version, manifest] of Object.entries(doc.versions)) {
      assert.match(String(manifest.dist.integrity), /^sha512-[A-Za-z0-9+/]+=*$/, version);
      assert.equal(manifest.dist.shasum, undefined, `${version}: no second digest`);
      assert.equal(manifest.dist.integrity, (await m.mirror.runtime.store.versions.versionOf('left-pad', version))!.integrity);
    }
  });

  test('the status API explains every version', async () => {
    for (const path of ['@acme/ui', '@acme%2fui', '%40acme%2Fui']) {
      const res = await fetch(`${base}-/cordon/api/v1/packages/${path}`);
      assert.equal(res.status, 200, path);
      const body = (await res.json()) as { name: string; versions: Array<Record<string, unknown>> };
      assert.equal(body.name, '@acme/ui');
      const byVersion = Object.fromEntries(body.versions.map((v) => [v.version, v]));
      assert.equal(byVersion['1.0.0']!.state, 'released');
      assert.equal(byVersion['1.2.0']!.state, 'quarantined');
      assert.equal(byVersion['1.2.0']!.releaseAt, new Date(NOW - HOUR + 72 * HOUR).toISOString());
      assert.match(String(byVersion['1.2.0']!.integrity), /^sha512-/);
      assert.ok(byVersion['1.2.0']!.firstSeenAt && byVersion['1.2.0']!.publishedAt && byVersion['1.2.0']!.reason);
    }
    const missing = await fetch(`${base}-/cordon/api/v1/packages/never-seen`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /never seen never-seen/);
  });

  test('writes are refused with a clear 403', async () => {
    const publish = await fetch(`${base}left-pad`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(publish.status, 403);
    assert.equal(((await publish.json()) as { code: string }).code, 'READ_ONLY');
    const tag = await fetch(`${base}-/package/left-pad/dist-tags/latest`, {
      method: 'PUT',
      body: '"1.2.0"',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(tag.status, 403);
    const unpublish = await fetch(`${base}left-pad/-rev/1-abc`, { method: 'DELETE' });
    assert.equal(unpublish.status, 403);
    const adduser = await fetch(`${base}-/user/org.couchdb.user:mallory`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mallory', password: 'x' }),
    });
    assert.equal(adduser.status, 403);
    assert.equal(((await adduser.json()) as { code: string }).code, 'REGISTRATION_DISABLED');
  });

  test('malformed URLs get a clear 400', async () => {
    const res = await fetch(`${base}left-pad/-/left-pad-%E0%A4%A.tgz`);
    assert.equal(res.status, 400);
  });
});
