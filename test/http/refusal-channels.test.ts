import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, HOUR, NOW, startTestMirror, type TestMirror } from '../helpers/mirror';

/** Everything a status line or header may hold, with nothing a terminal acts on. */
const HEADER_SAFE = /^[\x20-\x7e]+$/;
const HOSTILE = 'bad\r\nSet-Cookie: session=stolen\r\n\u001b[2J\u001b]8;;http://evil\u0007\u202eexe.js\tNo findings.';

describe('a refusal on every channel a client prints', () => {
  let m: TestMirror;
  before(async () => {
    // The packument cache is on (upstream max age above 0), so both packument paths are exercised.
    m = await startTestMirror({ now: NOW, env: { CORDON_UPSTREAM_MAXAGE: '2m', CORDON_PUBLIC_URL: 'https://cordon.example/' } });
    m.upstream.publish('demo-pkg', '1.0.0', { time: NOW - 60 * DAY });
    m.upstream.publish('demo-pkg', '1.1.0', { time: NOW - 2 * HOUR });
    m.upstream.publish('demo-pkg', '1.2.0', { time: NOW - HOUR });
    m.upstream.publish('quiet-pkg', '1.0.0', { time: NOW - 60 * DAY });
    await (await fetch(`${m.mirror.url}demo-pkg`)).arrayBuffer();
    // A finding whose text is hostile: it must not reach a header or a terminal as control characters.
    const record = (await m.mirror.runtime.store.versions.versionOf('demo-pkg', '1.1.0'))!;
    assert.ok(
      await m.mirror.runtime.store.versions.transition({
        package: 'demo-pkg',
        version: '1.1.0',
        from: record.state,
        to: 'held',
        reason: HOSTILE,
        cause: 'analysis-flagged',
        at: NOW,
      }),
    );
  });
  after(() => m.stop());

  for (const path of ['demo-pkg/-/demo-pkg-1.1.0.tgz', 'demo-pkg/1.1.0']) {
    test(`GET /${path}: reason phrase and npm-notice carry the one line; the JSON body is as before`, async () => {
      const res = await fetch(`${m.mirror.url}${path}`);
      assert.equal(res.status, 403);
      assert.match(res.statusText, HEADER_SAFE);
      assert.match(
        res.statusText,
        /^demo-pkg@1\.1\.0 held by Cordon for review: bad Set-Cookie: session=stolen \[2J ]8;;http:\/\/evil \?exe\.js No findings\. - review https:\/\/cordon\.example\/-\/cordon\/packages\/demo-pkg\/1\.1\.0$/,
      );
      assert.equal(res.headers.get('npm-notice'), res.statusText);
      assert.equal(res.headers.get('set-cookie'), null, 'no header injected');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'package', 'reason', 'releaseAt', 'state', 'version']);
      assert.equal(body.code, 'HELD');
      assert.equal(body.reason, HOSTILE, 'the JSON body keeps the reason as recorded (JSON escapes it)');
    });
  }

  test('a quarantined tarball says until when', async () => {
    const res = await fetch(`${m.mirror.url}demo-pkg/-/demo-pkg-1.2.0.tgz`, { method: 'HEAD' });
    assert.equal(res.status, 403);
    assert.equal(
      res.statusText,
      'demo-pkg@1.2.0 quarantined by Cordon until 2026-11-23T11:00:00.000Z: published less than the 3d cooldown ago - review https://cordon.example/-/cordon/packages/demo-pkg/1.2.0',
    );
  });

  test('every packument answer of a package with hidden versions names them in npm-notice, and is not stored by clients', async () => {
    for (const accept of [
      'application/json',
      'application/vnd.npm.install-v1+json',
      'application/json',
      'application/vnd.npm.install-v1+json',
    ]) {
      const res = await fetch(`${m.mirror.url}demo-pkg`, { headers: { accept, 'accept-encoding': 'gzip' } });
      assert.equal(res.status, 200);
      assert.equal(
        res.headers.get('npm-notice'),
        'Cordon holds back demo-pkg 1.2.0 quarantined until 2026-11-23T11:00:00.000Z, 1.1.0 held for review. Why: cordon why demo-pkg@<version>, or https://cordon.example/-/cordon/packages/demo-pkg',
      );
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Object.keys(((await res.json()) as { versions: object }).versions), ['1.0.0']);
    }
  });

  test('a package seen for the first time gets its notice on that very answer', async () => {
    m.upstream.publish('fresh-pkg', '1.0.0', { time: NOW - 60 * DAY });
    m.upstream.publish('fresh-pkg', '2.0.0', { time: NOW - HOUR });
    const res = await fetch(`${m.mirror.url}fresh-pkg`);
    assert.match(res.headers.get('npm-notice') ?? '', /^Cordon holds back fresh-pkg 2\.0\.0 quarantined until/);
    await res.arrayBuffer();
  });

  test('a package with nothing hidden gets no notice and keeps its caching', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${m.mirror.url}quiet-pkg`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('npm-notice'), null);
      assert.notEqual(res.headers.get('cache-control'), 'no-store');
      await res.arrayBuffer();
    }
  });
});
