import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { cordon, DAY, HOUR, NOW, sightAndAnalyse } from '../approvals/approval-mirror';
import { testApprover } from '../approvals/keys';
import { startTestMirror, type TestMirror } from '../helpers/mirror';
import { FakeUpstream } from '../helpers/fake-upstream';
import { dataPaths, readIdentity } from '../../storage';

interface Row {
  id: number;
  hash: string;
  version: string | null;
  package: string;
  to_state: string | null;
}

function readStore(file: string): {
  audit: Row[];
  decisions: Array<{ id: number; audit_id: number; signature: string }>;
  versions: Array<{ package: string; version: string; state: string }>;
} {
  const db = new Database(file, { readonly: true });
  try {
    return {
      audit: db.prepare('SELECT id, hash, package, version, to_state FROM audit_log ORDER BY id').all() as Row[],
      decisions: db.prepare('SELECT id, audit_id, signature FROM decisions ORDER BY id').all() as Array<{
        id: number;
        audit_id: number;
        signature: string;
      }>,
      versions: db.prepare('SELECT package, version, state FROM versions ORDER BY package, version').all() as Array<{
        package: string;
        version: string;
        state: string;
      }>,
    };
  } finally {
    db.close();
  }
}

test('a backup taken under load restores into a new data folder with every state, decision and audit entry it holds', async () => {
  const alice = testApprover('alice');
  const work = mkdtempSync(join(tmpdir(), 'cordon-backup-'));
  const configFile = join(work, 'cordon.yaml');
  writeFileSync(configFile, stringify({ approvers: [{ name: alice.approver.name, key: alice.approver.line }] }));
  const upstream = await new FakeUpstream().start();
  const liveDir = join(work, 'live');
  const m: TestMirror = await startTestMirror({ now: NOW, upstream, dataDir: liveDir, env: { CORDON_CONFIG: configFile } });
  try {
    upstream.publish('held-lib', '1.0.0', { time: NOW - 30 * DAY });
    upstream.publish('held-lib', '1.1.0', {
      time: NOW - HOUR,
      scripts: { postinstall: 'node x.js' },
      files: { 'x.js': 'require("child_process").exec("id")' },
    });
    await sightAndAnalyse(m, 'held-lib');
    const { text } = await m.mirror.runtime.approvals.statementFor(
      'held-lib',
      '1.1.0',
      'approve',
      'reviewed x.js',
      alice.approver.publicKey,
    );
    await m.mirror.runtime.approvals.submit('held-lib', '1.1.0', text, alice.sign(text));
    assert.equal((await m.mirror.runtime.store.versions.versionOf('held-lib', '1.1.0'))?.state, 'approved');

    // Load: new packages seen and analysed while the backup runs in another process.
    let stop = false;
    let n = 0;
    const load = (async () => {
      while (!stop) {
        const name = `load-${n++}`;
        upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY });
        upstream.publish(name, '1.0.1', { time: NOW - HOUR });
        await fetch(`${m.mirror.url}${name}`).then((r) => r.arrayBuffer());
      }
    })();
    while (n < 5) await new Promise((r) => setTimeout(r, 10));
    const file = join(work, 'backup.sqlite');
    const backup = await cordon(['backup', file], { CORDON_DATA_DIR: liveDir, CORDON_CONFIG: configFile });
    stop = true;
    await load;
    await m.mirror.pipeline.drain();
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /Backed up .* audit head \d+:[0-9a-f]{64}/);
    assert.ok(n > 5, 'writes went on during the backup');

    const again = await cordon(['backup', file], { CORDON_DATA_DIR: liveDir, CORDON_CONFIG: configFile });
    assert.notEqual(again.code, 0, 'an existing backup is never overwritten');
    assert.match(again.stderr, /already exists/);

    const freshDir = join(work, 'fresh');
    const restore = await cordon(['restore', file], { CORDON_DATA_DIR: freshDir, CORDON_CONFIG: configFile });
    assert.equal(restore.code, 0, restore.stderr);

    const live = readStore(dataPaths(liveDir).store);
    const restored = readStore(dataPaths(freshDir).store);
    const restoredEntry = restored.audit[restored.audit.length - 1]!;
    assert.equal(restoredEntry.package, '(store)');
    const kept = restored.audit.slice(0, -1);
    const headId = kept[kept.length - 1]!.id;
    assert.deepEqual(
      kept,
      live.audit.filter((e) => e.id <= headId),
      'the restored log is exactly the live log up to the backup',
    );
    assert.ok(live.audit.length > kept.length, 'the live log went on after the backup');
    assert.deepEqual(
      restored.decisions,
      live.decisions.filter((d) => d.audit_id <= headId),
    );
    assert.equal(restored.decisions.length, 1);
    // Every version's state is the one its audit entries up to the backup end in.
    const lastState = new Map<string, string>();
    for (const e of kept) if (e.version && e.to_state) lastState.set(`${e.package}@${e.version}`, e.to_state);
    for (const v of restored.versions) assert.equal(v.state, lastState.get(`${v.package}@${v.version}`), `${v.package}@${v.version}`);
    assert.ok(restored.versions.length >= 4);

    const verify = await cordon(['audit', 'verify', '--db', dataPaths(freshDir).store]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal(readIdentity(freshDir)?.id, readIdentity(liveDir)?.id, 'the new folder takes the backup’s identity');

    const running = await cordon(['restore', file], { CORDON_DATA_DIR: liveDir, CORDON_CONFIG: configFile });
    assert.notEqual(running.code, 0, 'no restore under a running mirror');
    assert.match(running.stderr, /is running on .*stop it first/);

    const m2 = await startTestMirror({ now: NOW, upstream, dataDir: freshDir, env: { CORDON_CONFIG: configFile } });
    try {
      assert.equal((await m2.mirror.runtime.store.versions.versionOf('held-lib', '1.1.0'))?.state, 'approved');
      assert.equal((await fetch(`${m2.mirror.url}held-lib/-/held-lib-1.1.0.tgz`)).status, 200);
    } finally {
      await m2.stop();
    }
  } finally {
    await m.stop();
    await upstream.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

test('a restore refuses a backup of another data folder, and going back in the same folder is audited instead of refused', async () => {
  const work = mkdtempSync(join(tmpdir(), 'cordon-backup-'));
  const upstream = await new FakeUpstream().start();
  try {
    const dirA = join(work, 'a');
    const dirB = join(work, 'b');
    for (const dir of [dirA, dirB]) {
      const m = await startTestMirror({ now: NOW, upstream, dataDir: dir });
      upstream.publish('lib', '1.0.0', { time: NOW - 30 * DAY });
      await fetch(`${m.mirror.url}lib`).then((r) => r.arrayBuffer());
      await m.stop(false);
    }
    const backupA = join(work, 'a.sqlite');
    assert.equal((await cordon(['backup', backupA], { CORDON_DATA_DIR: dirA })).code, 0);
    const foreign = await cordon(['restore', backupA], { CORDON_DATA_DIR: dirB });
    assert.notEqual(foreign.code, 0);
    assert.match(foreign.stderr, /is a backup of data folder .* not of this one/);
    assert.equal(existsSync(`${dataPaths(dirB).store}`), true, 'the folder was left as it was');

    // More happens in A after the backup; then A is restored to it on purpose.
    const m = await startTestMirror({ now: NOW, upstream, dataDir: dirA });
    upstream.publish('later', '1.0.0', { time: NOW - 30 * DAY });
    await fetch(`${m.mirror.url}later`).then((r) => r.arrayBuffer());
    await m.stop(false);
    const restore = await cordon(['restore', backupA], { CORDON_DATA_DIR: dirA });
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /The store had reached audit entry \d+; what happened after the backup is not in it/);
    const m2 = await startTestMirror({ now: NOW, upstream, dataDir: dirA });
    try {
      assert.equal(await m2.mirror.runtime.store.versions.versionOf('later', '1.0.0'), undefined);
      const entry = (await m2.mirror.runtime.store.audit.ofPackage('(store)')).find((e) => e.cause === 'store-restored');
      assert.ok(entry?.detail?.replacedHead, 'the step back is in the audit log, with the head it gave up');
    } finally {
      await m2.stop(false);
    }
  } finally {
    await upstream.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
