import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../server/config';
import { cordon } from '../approvals/approval-mirror';
import { sshKeygen } from '../approvals/ssh-keygen-tool';

const dir = mkdtempSync(join(tmpdir(), 'cordon-keygen-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('cordon keygen writes an OpenSSH key ssh-keygen accepts, mode 0600, and prints a config entry that loads', async () => {
  const path = join(dir, 'keys', 'approver');
  const r = await cordon(['keygen', '--file', path, '--name', 'Alice Example']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
  const pub = readFileSync(`${path}.pub`, 'utf8').trim();
  assert.equal(sshKeygen(['-y', '-f', path]).stdout.trim().split(' ').slice(0, 2).join(' '), pub.split(' ').slice(0, 2).join(' '));
  assert.match(
    sshKeygen(['-l', '-f', `${path}.pub`]).stdout,
    new RegExp(/Fingerprint: (SHA256:\S+)/.exec(r.stdout)![1]!.replace(/[+/]/g, '\\$&')),
  );
  // The printed YAML goes into cordon.yaml as is.
  const yaml = r.stdout.slice(r.stdout.indexOf('approvers:'), r.stdout.indexOf('\nThen'));
  const file = join(dir, 'cordon.yaml');
  require('node:fs').writeFileSync(file, yaml);
  assert.deepEqual(parse(yaml).approvers[0].name, 'Alice Example');
  const config = loadConfig({ CORDON_CONFIG: file }, dir);
  assert.equal(config.approvers[0]!.line, pub);

  const again = await cordon(['keygen', '--file', path]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists and is left untouched/);
  assert.equal(readFileSync(`${path}.pub`, 'utf8').trim(), pub, 'the existing key was not overwritten');
});
