import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../server/config';
import { DAY, HOUR, NOW, startTestMirror, type TestMirror } from '../helpers/mirror';

const REQUIRED_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
];

describe('the pages over HTTP', () => {
  let m: TestMirror;
  before(async () => {
    m = await startTestMirror({ now: NOW });
    m.upstream.publish('@acme/ui', '1.0.0', { time: NOW - 30 * DAY });
    await (await fetch(`${m.mirror.url}@acme%2fui`)).arrayBuffer();
    m.upstream.publish('@acme/ui', '1.1.0', { time: NOW - HOUR, scripts: { postinstall: 'node x.js' } });
    await (await fetch(`${m.mirror.url}@acme%2fui`)).arrayBuffer();
    await m.mirror.pipeline.drain();
  });
  after(() => m.stop());

  test('every page and API answer carries the strict CSP and nosniff, sets no cookie, and the page has no inline script', async () => {
    const paths = [
      '-/cordon/',
      '-/cordon/packages/@acme/ui',
      '-/cordon/packages/@acme/ui/1.1.0',
      '-/cordon/audit',
      '-/cordon/enroll',
      '-/cordon/static/app.js',
      '-/cordon/static/app.css',
      '-/cordon/api/v1/approvals/queue',
      '-/cordon/api/v1/review/version?package=@acme/ui&version=1.1.0',
      '-/cordon/api/v1/passkeys',
      '-/cordon/api/v1/review/audit-status',
      '-/cordon/api/v1/packages/@acme/ui',
    ];
    for (const path of paths) {
      const res = await fetch(`${m.mirror.url}${path}`);
      assert.equal(res.status, 200, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      for (const d of REQUIRED_CSP) assert.ok(csp.includes(d), `${path}: ${d}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('set-cookie'), null, path);
      const body = await res.text();
      if (path.startsWith('-/cordon/') && !path.includes('/api/') && !path.includes('/static/')) {
        assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.doesNotMatch(body, /<script(?![^>]*\bsrc=)/, `${path}: no inline script`);
        assert.doesNotMatch(body, /acme|postinstall/, `${path}: nothing from a package is in the HTML the server sends`);
        assert.doesNotMatch(body, /https?:\/\//, `${path}: nothing loads from another origin`);
      }
    }
    assert.equal((await fetch(`${m.mirror.url}-/cordon/static/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await fetch(`${m.mirror.url}-/cordon/static/..%2fpackage.json`)).status, 404);
    assert.equal((await fetch(`${m.mirror.url}-/cordon/static/nope.js`)).status, 404);
  });

  test('the compiled page script never parses strings as HTML', async () => {
    const dir = join(__dirname, '..', '..', 'web');
    for (const file of [
      'app.js',
      'dom.js',
      'review-page.js',
      'diff-view.js',
      'queue-page.js',
      'decide-panel.js',
      'enroll-page.js',
      'audit-page.js',
      'package-page.js',
      'layout.js',
    ]) {
      const js = readFileSync(join(dir, file), 'utf8');
      assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, file);
    }
  });

  test('the queue is open to read and filters by state and package; the review names the CLI command', async () => {
    const q = (await (await fetch(`${m.mirror.url}-/cordon/api/v1/approvals/queue?state=held&package=ACME`)).json()) as {
      versions: Array<Record<string, unknown>>;
    };
    assert.deepEqual(
      q.versions.map((v) => [v.package, v.version, v.state]),
      [['@acme/ui', '1.1.0', 'held']],
    );
    assert.equal((q.versions[0]!.worstFinding as { rule: string }).rule, 'install-script/new-postinstall');
    assert.equal(
      ((await (await fetch(`${m.mirror.url}-/cordon/api/v1/approvals/queue?state=quarantined`)).json()) as { versions: unknown[] }).versions
        .length,
      0,
    );
    const r = (await (await fetch(`${m.mirror.url}-/cordon/api/v1/review/version?package=@acme/ui&version=1.1.0`)).json()) as {
      commands: { approve: string };
      passkeys: { enabled: boolean; reason: string };
    };
    assert.equal(r.commands.approve, 'cordon approve @acme/ui@1.1.0 --reason "…"');
    assert.equal(r.passkeys.enabled, false, 'no publicUrl: passkeys are off and the page says why');
    assert.match(r.passkeys.reason, /publicUrl/);
  });

  test('the review says which installs tried to pull a hidden version', async () => {
    const before = (await (await fetch(`${m.mirror.url}-/cordon/api/v1/review/version?package=@acme/ui&version=1.1.0`)).json()) as {
      refusals: { count: number };
    };
    for (let i = 0; i < 3; i++)
      assert.equal(
        (await fetch(`${m.mirror.url}@acme/ui/-/ui-1.1.0.tgz`, { headers: { 'user-agent': `npm/11.19.1 ci-build-${i}` } })).status,
        403,
      );
    const after = (await (await fetch(`${m.mirror.url}-/cordon/api/v1/review/version?package=@acme/ui&version=1.1.0`)).json()) as {
      refusals: { count: number; firstAt: string; lastUserAgent: string };
    };
    assert.equal(after.refusals.count, before.refusals.count + 3);
    assert.match(after.refusals.firstAt, /^\d{4}-/);
    assert.equal(after.refusals.lastUserAgent, 'npm/11.19.1 ci-build-2');
  });
});

test('tls: the mirror serves https itself with the configured certificate and key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-tls-'));
  try {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    assert.throws(() => loadConfig({ CORDON_TLS_CERT: cert }, dir), /tls needs both cert and key/);
    assert.throws(() => loadConfig({ CORDON_TLS_CERT: cert, CORDON_TLS_KEY: join(dir, 'missing.pem') }, dir), /CORDON_TLS_KEY/);
    const m = await startTestMirror({ now: NOW, env: { CORDON_TLS_CERT: cert, CORDON_TLS_KEY: key } });
    try {
      assert.match(m.mirror.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
      const { status, csp } = await new Promise<{ status: number; csp: string }>((resolve, reject) => {
        request(`${m.mirror.url}-/cordon/`, { ca: readFileSync(cert) }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, csp: String(res.headers['content-security-policy']) });
        })
          .on('error', reject)
          .end();
      });
      assert.equal(status, 200);
      assert.match(csp, /default-src 'self'/);
    } finally {
      await m.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
