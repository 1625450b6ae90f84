import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cordon, DAY, HOUR, NOW, sightAndAnalyse } from '../approvals/approval-mirror';
import { testApprover } from '../approvals/keys';
import { startTestMirror, type TestMirror } from '../helpers/mirror';
import { formatFindings } from '../../server/cli/show';
import { mirrorUrl, type FindingsJson, type StatusJson } from '../../server/cli/cordon-client';
import { oneLine } from '../../server/cli/terminal-text';

const status = (over: Partial<StatusJson> = {}): StatusJson => ({
  package: 'evil-pkg',
  version: '1.0.1',
  state: 'held',
  visible: false,
  integrity: 'sha512-x',
  findingsDigest: 'd',
  analysis: 'flagged',
  maxSeverity: 'high',
  cooldownEndsAt: '2026-11-23T12:00:00.000Z',
  releaseAt: null,
  fastTrack: true,
  required: 1,
  approvedBy: [],
  reason: 'analysis found x',
  publishedAt: null,
  firstSeenAt: 0,
  updatedAt: 0,
  approvalAlways: false,
  ...over,
});

test('every control character from a package is escaped, newlines and tabs too, so no line can be forged; cut values say so', () => {
  const forged = '\nNo findings.\n\tM fake.js  1 → 2 bytes';
  const r: FindingsJson = {
    now: '2026-11-20T12:00:00.000Z',
    status: status({ reason: `held${forged}` }),
    analysis: {
      previousVersion: '1.0.0',
      digest: 'd',
      maxSeverity: 'high',
      analyzerVersion: '1',
      finishedAt: '2026-11-20T12:00:00.000Z',
      findings: [
        {
          category: 'dependencies',
          rule: 'dependencies/new-dependency',
          severity: 'high',
          message: `adds a dependency on "x${forged}"`,
          file: `bin/\tx${forged}`,
          line: 3,
          evidence: `"x${forged}": "1.0.0" ${'y'.repeat(400)}`,
        } as never,
      ],
    },
    diff: {
      previousVersion: '1.0.0',
      files: [{ path: `lib/a.js${forged}`, change: 'added', oldSize: null, newSize: 10 }],
      unified: { [`lib/a.js${forged}`]: `--- a\n+++ b\n+x\u001b[2J\ty\n` },
    },
  };
  const text = formatFindings('evil-pkg@1.0.1', r, Date.parse(r.now));
  const lines = text.split('\n');
  assert.ok(!lines.some((l) => l.trim() === 'No findings.' || /^\s*M fake\.js/.test(l)), text);
  assert.match(text, /\\u\{a\}No findings\.\\u\{a\}\\u\{9\}M fake\.js/);
  assert.match(text, /bin\/\\u\{9\}x/);
  assert.match(text, /\+x\\u\{1b\}\[2J\\u\{9\}y/);
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f]/, 'no raw control character but the layout newlines');
  assert.match(text, /\.\.\. \[cut: \d+ more characters\]/);
  assert.equal(oneLine('a'.repeat(10), 4), 'aaaa... [cut: 6 more characters]');
});

test('the CLI finds the mirror: --registry, then CORDON_URL, then cordon.yaml and CORDON_HOST/CORDON_PORT in the folder, then the default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-cli-url-'));
  try {
    assert.equal(mirrorUrl(undefined, {}, dir), 'http://127.0.0.1:4873');
    assert.equal(mirrorUrl(undefined, { CORDON_PORT: '5999' }, dir), 'http://127.0.0.1:5999');
    assert.equal(mirrorUrl(undefined, { CORDON_HOST: '0.0.0.0', CORDON_PORT: '5999' }, dir), 'http://127.0.0.1:5999');
    writeFileSync(join(dir, 'cordon.yaml'), 'port: 6111\n');
    assert.equal(mirrorUrl(undefined, {}, dir), 'http://127.0.0.1:6111');
    assert.equal(
      mirrorUrl(undefined, { CORDON_PORT: '6222' }, dir),
      'http://127.0.0.1:6222',
      'the variable wins over the file, as for the mirror',
    );
    assert.equal(mirrorUrl(undefined, { CORDON_URL: 'http://mirror.internal:4873/' }, dir), 'http://mirror.internal:4873');
    assert.equal(mirrorUrl('https://cordon.example/', { CORDON_URL: 'http://mirror.internal:4873/' }, dir), 'https://cordon.example');
    writeFileSync(join(dir, 'cordon.yaml'), 'port: 6111\npublicUrl: https://cordon.example/\n');
    assert.equal(mirrorUrl(undefined, {}, dir), 'https://cordon.example');
    writeFileSync(join(dir, 'cordon.yaml'), 'port: many\n');
    assert.throws(
      () => mirrorUrl(undefined, {}, dir),
      (err: Error & { code?: string }) => err.code === 'MIRROR_URL_INVALID' && /port/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('cordon why and cordon show against a real mirror', () => {
  let m: TestMirror;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cordon-cli-why-'));
    const alice = testApprover('alice');
    const bob = testApprover('bob');
    writeFileSync(
      join(dir, 'config.yaml'),
      stringify({ approvers: [alice, bob].map((a) => ({ name: a.approver.name, key: a.approver.line })) }),
    );
    m = await startTestMirror({ now: NOW, env: { CORDON_CONFIG: join(dir, 'config.yaml') } });
    m.upstream.publish('express-like', '5.2.0', { time: NOW - 60 * DAY });
    m.upstream.publish('express-like', '5.3.0', { time: NOW - 40 * DAY });
    m.upstream.publish('express-like', '5.4.0', { time: NOW - 2 * HOUR, files: { 'index.js': 'module.exports = 2;\n' } });
    m.upstream.publish('express-like', '5.5.0-rc.1', {
      time: NOW - HOUR,
      scripts: { postinstall: 'node x.js' },
      files: { 'x.js': "require('child_process').exec('id');\n" },
    });
    await sightAndAnalyse(m, 'express-like');
    // The working folder's cordon.yaml names the mirror's port: no CORDON_URL needed.
    writeFileSync(join(dir, 'cordon.yaml'), `port: ${new URL(m.mirror.url).port}\n`);
  });
  after(async () => {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('show on a baseline version: released, why, exit 0', async () => {
    const show = await cordon(['show', 'express-like@5.3.0'], {}, dir);
    assert.equal(show.code, 0, show.stderr);
    assert.match(
      show.stdout,
      /^express-like@5\.3\.0 is released: installs can have it \(baseline: published 2026-10-11T12:00:00\.000Z, before the 3d cooldown when the package was first seen\)\./,
    );
    assert.match(show.stdout, /Not analysed: it was already older than the cooldown when Cordon first saw the package \(baseline\)\./);
    assert.doesNotMatch(show.stdout, /needs approval|analysis not finished|has not finished/);
  });

  test('why on a held version: state, reason, release, whom to ask, the page', async () => {
    const why = await cordon(['why', 'express-like@5.5.0-rc.1'], {}, dir);
    assert.equal(why.code, 0, why.stderr);
    const page = `${m.mirror.url}-/cordon/packages/express-like/5.5.0-rc.1`;
    assert.match(why.stdout, /^express-like@5\.5\.0-rc\.1 is held: the mirror does not serve it\./);
    assert.match(why.stdout, /reason {5}analysis found install-script\/new-postinstall \[critical\]/);
    assert.match(why.stdout, /published {2}2026-11-20T11:00:00\.000Z \(upstream\), first seen here 2026-11-20T12:00:00\.000Z/);
    assert.match(why.stdout, /released {3}not by time: an approver must sign it off/);
    assert.match(
      why.stdout,
      /ask {8}alice, bob: they review it with "cordon show express-like@5\.5\.0-rc\.1" and sign with "cordon approve express-like@5\.5\.0-rc\.1"/,
    );
    assert.ok(why.stdout.includes(`page       ${page}`), why.stdout);
  });

  test('why on a quarantined version says until when; after the cooldown show and why say it was released and why', async () => {
    const before = await cordon(['why', 'express-like@5.4.0'], {}, dir);
    assert.match(before.stdout, /is quarantined: the mirror does not serve it/);
    assert.match(before.stdout, /released {3}2026-11-23T10:00:00\.000Z \(in 2d 22h\) if its analysis finds nothing/);
    m.clock.advance(3 * DAY);
    const show = await cordon(['show', 'express-like@5.4.0'], {}, dir);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^express-like@5\.4\.0 is released: installs can have it \(cooldown ended and its analysis is clean\)\./);
    const why = await cordon(['why', 'express-like@5.4.0'], { CORDON_URL: m.mirror.url });
    assert.match(why.stdout, /is released: the mirror serves it\./);
    assert.doesNotMatch(why.stdout, /ask /);
  });

  test('why on a version the mirror never saw: a clear error, exit 1', async () => {
    const why = await cordon(['why', 'express-like@9.9.9'], { CORDON_URL: m.mirror.url });
    assert.equal(why.code, 1);
    assert.match(why.stderr, /Cordon has never seen express-like@9\.9\.9/);
  });
});
