import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cordon, DAY, HOUR, NOW, sightAndAnalyse, startApprovalMirror } from '../approvals/approval-mirror';
import { testApprover } from '../approvals/keys';
import { NpmClient } from '../helpers/npm-client';

test('a held version, cordon approve, then a real npm install through the mirror gets it', async () => {
  const alice = testApprover('alice');
  const dir = mkdtempSync(join(tmpdir(), 'cordon-e2e-approve-'));
  const key = join(dir, 'alice');
  writeFileSync(key, alice.privateText, { mode: 0o600 });
  const m = await startApprovalMirror([alice]);
  const npm = new NpmClient(m.mirror.url);
  try {
    m.upstream.publish('native-thing', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('native-thing', '1.1.0', {
      time: NOW - 2 * HOUR,
      scripts: { postinstall: 'node build.js' },
      files: { 'build.js': "require('child_process').execSync('true');\n" },
    });
    // The real pipeline analyses it and holds it.
    await sightAndAnalyse(m, 'native-thing');
    assert.equal((await m.mirror.runtime.store.versions.versionOf('native-thing', '1.1.0'))?.state, 'held');

    const before = await npm.run(['install', 'native-thing@1.1.0', '--ignore-scripts']);
    assert.notEqual(before.code, 0, 'held: npm cannot install it');
    npm.reset();
    const latest = await npm.run(['install', 'native-thing', '--ignore-scripts']);
    assert.equal(latest.code, 0, latest.stderr);
    assert.equal(npm.installed('native-thing'), '1.0.0');

    const approve = await cordon(['approve', 'native-thing@1.1.0', '--reason', 'build.js only compiles', '--key', key], {
      CORDON_URL: m.mirror.url,
    });
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, /native-thing@1\.1\.0 is now approved/);

    npm.reset();
    const after = await npm.run(['install', 'native-thing', '--prefer-online', '--ignore-scripts']);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(npm.installed('native-thing'), '1.1.0', 'latest is the approved version, before its cooldown would have ended');
  } finally {
    await m.stop();
    npm.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});
