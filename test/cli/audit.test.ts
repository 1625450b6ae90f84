import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cordon, HOUR, NOW, DAY, sightAndAnalyse, startApprovalMirror } from '../approvals/approval-mirror';
import { testApprover } from '../approvals/keys';
import { databaseFile } from '../helpers/mirror';
import type { TestMirror } from '../helpers/mirror';

const alice = testApprover('alice');
const bob = testApprover("bob o'brien");
const dir = mkdtempSync(join(tmpdir(), 'cordon-cli-audit-'));

/** A copy of the live database (with its WAL folded in) that the test may vandalise. */
async function copyDb(m: TestMirror, name: string): Promise<string> {
  const path = join(dir, name);
  await m.mirror.runtime.store.backup(path);
  return path;
}

describe('cordon audit verify / export', () => {
  let m: TestMirror;
  let env: Record<string, string>;
  before(async () => {
    m = await startApprovalMirror([alice, bob]);
    env = { CORDON_URL: m.mirror.url };
    m.upstream.publish('lib', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('lib', '2.0.0', { time: NOW - HOUR, scripts: { postinstall: 'node i.js' }, files: { 'i.js': '1;\n' } });
    m.upstream.publish('lib', '2.0.1', { time: NOW - HOUR, scripts: { preinstall: 'node i.js' }, files: { 'i.js': '2;\n' } });
    await sightAndAnalyse(m, 'lib');
    for (const [who, args] of [
      [alice, ['approve', 'lib@2.0.0', '--reason', 'ok']],
      [bob, ['reject', 'lib@2.0.1', '--reason', 'no: “preinstall”']],
    ] as const) {
      const key = join(dir, `${who.approver.name}.key`);
      writeFileSync(key, who.privateText, { mode: 0o600 });
      const r = await cordon([...args, '--key', key], env);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('verify over HTTP and from the file: an unbroken chain and two verified signatures', async () => {
    const http = await cordon(['audit', 'verify'], env);
    assert.equal(http.code, 0, http.stderr);
    assert.match(http.stdout, /^OK: \d+ entries in an unbroken hash chain, 2 signed decision\(s\) verified/);
    const head = /--expect-head (\d+:[0-9a-f]{64})/.exec(http.stdout)![1]!;
    const file = await cordon(['audit', 'verify', '--db', await copyDb(m, 'clean.sqlite'), '--expect-head', head]);
    assert.equal(file.code, 0, file.stderr);
    assert.match(file.stdout, /2 signed decision\(s\) verified/);
  });

  test('export: ssh-keygen -Y verify confirms every exported decision with the allowed_signers file', async () => {
    const out = join(dir, 'export');
    const r = await cordon(['audit', 'export', out], env);
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(join(out, 'decisions')).sort();
    assert.equal(files.length, 4);
    const signers = readFileSync(join(out, 'allowed_signers'), 'utf8');
    assert.match(signers, /^alice namespaces="cordon-approval" ssh-ed25519 AAAA\S+$/m);
    assert.match(signers, /^bob_o_brien namespaces="cordon-approval" ssh-ed25519 AAAA\S+$/m, 'names are made safe as principals');
    for (const json of files.filter((f) => f.endsWith('.json'))) {
      const principal = JSON.parse(readFileSync(join(out, 'decisions', json), 'utf8')).approver === 'alice' ? 'alice' : 'bob_o_brien';
      const v = spawnSync(
        'ssh-keygen',
        [
          '-Y',
          'verify',
          '-f',
          join(out, 'allowed_signers'),
          '-I',
          principal,
          '-n',
          'cordon-approval',
          '-s',
          join(out, 'decisions', json.replace(/\.json$/, '.sig')),
        ],
        { input: readFileSync(join(out, 'decisions', json)) },
      );
      assert.equal(v.status, 0, v.stderr.toString());
      assert.match(v.stdout.toString(), new RegExp(`Good "cordon-approval" signature for ${principal}`));
    }
    const script = spawnSync('sh', ['verify.sh'], { cwd: out });
    assert.equal(script.status, 0, script.stderr.toString());
    assert.equal(script.stdout.toString().match(/Good "cordon-approval" signature/g)?.length, 2);
    assert.equal((await cordon(['audit', 'export', out], env)).code, 2, 'refuses a folder that is not empty');
  });

  test('a tampered entry, a deleted entry and a forged statement are each detected, with exit code 1', async () => {
    const vandalise = async (name: string, sql: string) => {
      const path = await copyDb(m, name);
      const db = new Database(path);
      db.pragma('foreign_keys = OFF'); // decisions reference their audit entry; a vandal turns that off first
      db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
      db.exec(sql);
      db.close();
      return path;
    };
    const cases: Array<[string, string, RegExp]> = [
      [
        'edited.sqlite',
        "UPDATE audit_log SET to_state = 'released' WHERE cause = 'rejected-signed'",
        /was changed after it was written \[ENTRY_ALTERED\]/,
      ],
      [
        'deleted.sqlite',
        "DELETE FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log WHERE cause = 'decision-signed')",
        /\[ENTRY_MISSING\][\s\S]*\[CHAIN_BROKEN\]|\[CHAIN_BROKEN\][\s\S]*\[ENTRY_MISSING\]/,
      ],
      [
        'forged.sqlite',
        `UPDATE audit_log SET detail = json_set(detail, '$.statement', replace(json_extract(detail, '$.statement'), '"reason":"ok"', '"reason":"OK"')) WHERE cause = 'decision-signed'`,
        /the signature does not verify over the recorded statement \[SIGNATURE_INVALID\]/,
      ],
      ['tail.sqlite', 'DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)', /were written and are gone \[TAIL_MISSING\]/],
    ];
    for (const [name, sql, expected] of cases) {
      const r = await cordon(['audit', 'verify', '--db', await vandalise(name, sql)]);
      assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, expected, name);
      assert.match(r.stdout, /it was changed outside Cordon/);
    }
    assert.ok(existsSync(databaseFile(m.dataDir)));
    assert.equal((await cordon(['audit', 'verify'], env)).code, 0, 'the live log was not touched');
  });
});
