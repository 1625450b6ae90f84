import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAY, HOUR, NOW, startTestMirror, type TestMirror } from '../helpers/mirror';
import { NpmClient } from '../helpers/npm-client';

const deps = { 'demo-pkg': '1.1.0' };

describe('npm tells the user why a version is missing or refused', () => {
  let m: TestMirror;
  let npm: NpmClient;
  let lockWithoutResolved: string;
  before(async () => {
    m = await startTestMirror({ now: NOW });
    m.upstream.publish('demo-pkg', '1.0.0', { time: NOW - 60 * DAY });
    m.upstream.publish('demo-pkg', '1.1.0', {
      time: NOW - 2 * HOUR,
      scripts: { postinstall: 'node build.js' },
      files: { 'build.js': "require('child_process').execSync('id');\n" },
    });
    await (await fetch(`${m.mirror.url}demo-pkg`)).arrayBuffer();
    await m.mirror.pipeline.drain();
    // A lockfile written by npm with omit-lockfile-registry-resolved (as ~/.npmrc here sets it): version and integrity, no URL.
    const upstream = new NpmClient(m.upstream.url);
    try {
      writeFileSync(join(upstream.dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', dependencies: deps }));
      const lock = await upstream.run(['install', '--package-lock-only', '--ignore-scripts', '--omit-lockfile-registry-resolved']);
      assert.equal(lock.code, 0, lock.stderr);
      lockWithoutResolved = readFileSync(join(upstream.dir, 'package-lock.json'), 'utf8');
      assert.doesNotMatch(lockWithoutResolved, /"resolved"/);
    } finally {
      upstream.remove();
    }
    npm = new NpmClient(m.mirror.url);
  });
  after(async () => {
    await m.stop();
    npm.remove();
  });

  const withLock = (lock: string): void => {
    npm.reset();
    writeFileSync(join(npm.dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', dependencies: deps }));
    writeFileSync(join(npm.dir, 'package-lock.json'), lock);
  };
  const NOTICE =
    /npm notice Cordon holds back demo-pkg 1\.1\.0 held for review\. Why: cordon why demo-pkg@1\.1\.0, or http:\/\/127\.0\.0\.1:\d+\/-\/cordon\/packages\/demo-pkg/;

  test('npm install pkg@<held version>: the notice above "No matching version" names it and its state, every time', async () => {
    for (let i = 0; i < 2; i++) {
      npm.reset();
      const add = await npm.run(['install', 'demo-pkg@1.1.0', '--ignore-scripts']);
      assert.notEqual(add.code, 0);
      assert.match(add.stderr, /ETARGET/);
      assert.match(add.stderr, NOTICE, `run ${i + 1}: the packument is not served from npm's cache, so the notice is printed again`);
    }
  });

  test('npm ci with a lockfile without resolved URLs: ETARGET, and the notice says why', async () => {
    withLock(lockWithoutResolved);
    const ci = await npm.run(['ci', '--ignore-scripts']);
    assert.notEqual(ci.code, 0);
    assert.match(ci.stderr, /No matching version found for demo-pkg@1\.1\.0/);
    assert.match(ci.stderr, NOTICE);
  });

  test('npm ci with resolved URLs: the reason phrase, the npm-notice and the body all name the version and why', async () => {
    withLock(
      lockWithoutResolved.replace(
        '"version": "1.1.0",',
        `"version": "1.1.0",\n      "resolved": "${m.mirror.url}demo-pkg/-/demo-pkg-1.1.0.tgz",`,
      ),
    );
    const ci = await npm.run(['ci', '--ignore-scripts']);
    assert.notEqual(ci.code, 0);
    const review = `review ${m.mirror.url}-/cordon/packages/demo-pkg/1.1.0`;
    const notice = ci.stderr
      .split('\n')
      .find((l) =>
        l.startsWith('npm notice demo-pkg@1.1.0 held by Cordon for review: analysis found install-script/new-postinstall [critical]'),
      );
    assert.ok(notice?.endsWith(review), ci.stderr);
    assert.match(
      ci.stderr,
      /npm error 403 403 demo-pkg@1\.1\.0 held by Cordon for review: analysis found install-script\/new-postinstall \[critical\]/,
    );
    assert.match(ci.stderr, /- demo-pkg@1\.1\.0 is held by Cordon for review: .*cordon show demo-pkg@1\.1\.0/);
  });
});
