import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { startTestMirror, DAY, HOUR } from '../helpers/mirror';

const NOW = Date.parse('2026-11-20T12:00:00Z');

/** A raw request (fetch would refuse or re-encode some of these URLs and bodies). */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; text: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('malformed requests are answered 4xx on every route, never 500', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('good', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('good', '1.0.1', { time: NOW - HOUR });
    await fetch(`${m.mirror.url}good`);
    const bad = ['%', '%E0%A4%A', '%ZZ', '%C0%AF', '%ED%A0%80'];
    const paths = bad.flatMap((b) => [
      `/${b}`,
      `/good${b}`,
      `/good/${b}`,
      `/good/-/good-${b}.tgz`,
      `/@scope${b}/x`,
      `/@scope/x${b}`,
      `/-/cordon/api/v1/packages/${b}`,
      `/-/cordon/packages/${b}`,
      `/-/cordon/packages/good/${b}`,
      `/-/cordon/api/v1/approvals/findings?package=${b}&version=1.0.1`,
      `/-/cordon/api/v1/review/version?package=good&version=${b}`,
      `/-/cordon/api/v1/approvals/queue?package=${b}`,
      `/-/cordon/static/${b}`,
      `/-/v1/search?text=${b}`,
      `/good/latest${b}`,
    ]);
    const problems: string[] = [];
    for (const path of paths) {
      for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'POST']) {
        const res = await raw(
          m.mirror.url,
          method,
          path,
          method === 'PUT' || method === 'POST' ? { 'content-type': 'application/json' } : {},
          method === 'PUT' || method === 'POST' ? Buffer.from('{}') : undefined,
        );
        if (res.status >= 500) problems.push(`${method} ${path} -> ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    assert.equal(problems.join('\n'), '', 'no request answered 5xx');

    const decisions = '/-/cordon/api/v1/approvals/decisions';
    const bodies: Array<[string, Record<string, string>, Buffer]> = [
      ['gzip header, plain body', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, Buffer.from('{"package":"good"}')],
      [
        'deflate header, plain body',
        { 'content-type': 'application/json', 'content-encoding': 'deflate' },
        Buffer.from('{"package":"good"}'),
      ],
      ['br header, plain body', { 'content-type': 'application/json', 'content-encoding': 'br' }, Buffer.from('{"package":"good"}')],
      ['an unknown content encoding', { 'content-type': 'application/json', 'content-encoding': 'x-cordon' }, Buffer.from('{}')],
      ['gzip of something that is not JSON', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync('not json')],
      [
        'truncated gzip',
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        gzipSync('{"package":"good","version":"1.0.1"}').subarray(0, 20),
      ],
      ['a body that is not JSON', { 'content-type': 'application/json' }, Buffer.from('{"package":')],
      ['a charset nobody knows', { 'content-type': 'application/json; charset=klingon' }, Buffer.from('{}')],
      ['a body over the limit', { 'content-type': 'application/json' }, Buffer.alloc(200 * 1024, 0x20)],
      ['a gzip bomb', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20))],
      ['JSON that is not an object', { 'content-type': 'application/json' }, Buffer.from('[1,2]')],
    ];
    for (const [what, headers, body] of bodies) {
      const res = await raw(m.mirror.url, 'POST', decisions, headers, body);
      assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
      assert.match(res.text, /"code"/, what);
    }
    assert.equal((await m.mirror.runtime.store.versions.versionOf('good', '1.0.1'))?.state, 'quarantined', 'nothing changed');
  } finally {
    await m.stop();
  }
});
