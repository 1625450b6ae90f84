import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestMirror, DAY, HOUR, NOW, visibleVersions } from '../helpers/mirror';
import { NpmClient } from '../helpers/npm-client';

test('upstream down, answering garbage or slow: installs from what the mirror has, quarantine still applied, retries, nothing guessed', async () => {
  const m = await startTestMirror({ now: NOW, env: { CORDON_UPSTREAM_MAXAGE: '1s' } });
  const npm = new NpmClient(m.mirror.url);
  try {
    m.upstream.publish('app', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('app', '1.1.0', { time: NOW - HOUR });
    m.upstream.publish('dep', '2.0.0', { time: NOW - 30 * DAY });
    writeFileSync(
      join(npm.dir, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: { app: '^1.0.0', dep: '^2.0.0' } }),
    );
    const install = await npm.run(['install']);
    assert.equal(install.code, 0, install.stderr);
    assert.equal(npm.installed('app'), '1.0.0', 'the young version is hidden');
    m.upstream.publish('app', '1.2.0', { time: NOW - HOUR });
    await new Promise((r) => setTimeout(r, 1_100));
    assert.deepEqual(await visibleVersions(`${m.mirror.url}app`), ['1.0.0'], 'first sight of 1.2.0; its analysis waits');
    assert.equal((await m.mirror.runtime.store.versions.versionOf('app', '1.2.0'))?.analysis, 'pending');

    for (const mode of ['down', 'garbage'] as const) {
      m.upstream.mode = mode;
      await new Promise((r) => setTimeout(r, 1_100)); // past the uplink max age: Verdaccio asks upstream again
      assert.deepEqual(await visibleVersions(`${m.mirror.url}app`), ['1.0.0'], `${mode}: the packument comes from the cache, filtered`);
      npm.reset();
      writeFileSync(
        join(npm.dir, 'package.json'),
        JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: { app: '^1.0.0', dep: '^2.0.0' } }),
      );
      const ci = await npm.run(['install', '--prefer-offline']);
      assert.equal(ci.code, 0, `${mode}: ${ci.stderr}`);
      assert.equal(npm.installed('app'), '1.0.0');
      for (const path of ['app/-/app-9.9.9.tgz', 'never-seen', 'never-seen/-/never-seen-1.0.0.tgz', 'app/-/app-1.2.0.tgz']) {
        const status = (await fetch(`${m.mirror.url}${path}`)).status;
        assert.ok([403, 404, 502, 503].includes(status), `${mode}: ${path} answered ${status}`);
      }
      const sweep = await m.mirror.sweeper.runNow();
      assert.ok(sweep && sweep.failed > 0, `${mode}: the sweeper notes the failure and goes on`);
      await m.mirror.pipeline.drain();
      const record = (await m.mirror.runtime.store.versions.versionOf('app', '1.2.0'))!;
      assert.equal(record.state, 'quarantined', `${mode}: still waiting, not held or blocked`);
      assert.equal(record.analysis, 'pending');
      assert.equal((await fetch(`${m.mirror.url}-/ping`)).status, 200);
      m.clock.advance(HOUR);
    }

    // Slow: one request waits for upstream; the others are answered from what the mirror has.
    m.upstream.mode = 'ok';
    m.upstream.packumentDelayMs = 3_000;
    await new Promise((r) => setTimeout(r, 1_100));
    const slow = fetch(`${m.mirror.url}app`).then((r) => r.json());
    assert.equal((await fetch(`${m.mirror.url}app/-/app-1.0.0.tgz`)).status, 200, 'a cached tarball meanwhile');
    assert.deepEqual(Object.keys(((await slow) as { versions: object }).versions), ['1.0.0']);
    m.upstream.packumentDelayMs = 0;

    await m.mirror.pipeline.drain();
    assert.equal((await m.mirror.runtime.store.versions.versionOf('app', '1.2.0'))?.analysis, 'clean', 'retried once upstream is back');
    m.clock.advance(3 * DAY);
    assert.deepEqual(await visibleVersions(`${m.mirror.url}app`), ['1.0.0', '1.1.0', '1.2.0']);
  } finally {
    npm.remove();
    await m.stop();
  }
});
