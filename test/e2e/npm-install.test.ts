import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestMirror, DAY, HOUR, type TestMirror } from '../helpers/mirror';
import { NpmClient } from '../helpers/npm-client';

const NOW = Date.parse('2026-11-20T12:00:00Z');

describe('the real npm client through the mirror', () => {
  let m: TestMirror;
  let npm: NpmClient;
  before(async () => {
    m = await startTestMirror({ now: NOW });
    npm = new NpmClient(m.mirror.url);
    for (const name of ['cooldown-demo', '@acme/scoped-demo']) {
      m.upstream.publish(name, '1.0.0', { time: NOW - 60 * DAY });
      m.upstream.publish(name, '1.1.0', { time: NOW - 30 * DAY });
      m.upstream.publish(name, '1.2.0', { time: NOW - 2 * HOUR });
    }
  });
  after(async () => {
    await m.stop();
    npm.remove();
  });

  for (const name of ['cooldown-demo', '@acme/scoped-demo']) {
    test(`${name}: npm view and npm install see only released versions`, async () => {
      npm.reset();
      const view = await npm.run(['view', name, 'versions', 'dist-tags.latest', '--json']);
      assert.equal(view.code, 0, view.stderr);
      const info = JSON.parse(view.stdout) as { versions: string[]; 'dist-tags.latest': string };
      assert.deepEqual(info.versions, ['1.0.0', '1.1.0']);
      assert.equal(info['dist-tags.latest'], '1.1.0');

      const install = await npm.run(['install', name]);
      assert.equal(install.code, 0, install.stderr);
      assert.equal(npm.installed(name), '1.1.0', 'latest while 1.2.0 cools down');

      npm.reset();
      const range = await npm.run(['install', `${name}@^1.0.0`]);
      assert.equal(range.code, 0, range.stderr);
      assert.equal(npm.installed(name), '1.1.0', 'a ^ range does not pick the quarantined version');
    });

    test(`${name}: an install pinned to the quarantined version fails with the reason`, async () => {
      npm.reset();
      const pinned = await npm.run(['install', `${name}@1.2.0`]);
      assert.notEqual(pinned.code, 0);
      assert.match(pinned.stderr, /1\.2\.0/);
      assert.equal(npm.installed(name), undefined);

      // A lockfile written elsewhere (upstream) still cannot fetch the tarball.
      npm.reset();
      const base = name.slice(name.lastIndexOf('/') + 1);
      const res = await fetch(`${m.mirror.url}${name}/-/${base}-1.2.0.tgz`);
      assert.equal(res.status, 403);
      const tarball = await npm.run(['install', `${m.mirror.url}${name}/-/${base}-1.2.0.tgz`]);
      assert.notEqual(tarball.code, 0);
      assert.match(tarball.stderr, new RegExp(`403.*${name.replace('/', '\\/')}@1\\.2\\.0 is quarantined by Cordon`));
      assert.match(tarball.stderr, /becomes installable at 2026-11-23T10:00:00\.000Z/);
    });
  }

  test('once the cooldown is over and the analysis is clean, npm install gets the newest version', async () => {
    await m.mirror.pipeline.drain();
    m.clock.advance(72 * HOUR);
    for (const name of ['cooldown-demo', '@acme/scoped-demo']) {
      npm.reset();
      const install = await npm.run(['install', name, '--prefer-online']);
      assert.equal(install.code, 0, install.stderr);
      assert.equal(npm.installed(name), '1.2.0');
    }
  });
});
