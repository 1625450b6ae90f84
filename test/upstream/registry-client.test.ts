import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchPackument, fetchTarball, packumentUrl } from '../../server/upstream/registry-client';
import { UpstreamError, type UpstreamErrorCode } from '../../server/upstream/errors';
import { packTarball } from '../helpers/pack-tarball';
import { startFakeRegistry } from './fake-registry';

const tgz = packTarball({ 'package.json': '{"name":"a","version":"1.0.0"}' });

test('fetches a packument (scoped names encoded) and a tarball', async () => {
  const reg = await startFakeRegistry({ '/@s%2fa': { name: '@s/a', versions: { '1.0.0': {} } }, '/t.tgz': tgz });
  try {
    assert.equal(packumentUrl(reg.url, '@s/a'), `${reg.url}@s%2fa`);
    assert.equal((await fetchPackument(reg.url, '@s/a')).name, '@s/a');
    assert.deepEqual(await fetchTarball(`${reg.url}t.tgz`), tgz);
  } finally {
    await reg.close();
  }
});

test('maps failures to codes', async () => {
  const reg = await startFakeRegistry({ '/bad': 'not json', '/nover': { name: 'x' }, '/err': 503, '/big': Buffer.alloc(2048) });
  const cases: Array<[() => Promise<unknown>, UpstreamErrorCode]> = [
    [() => fetchPackument(reg.url, 'missing'), 'UPSTREAM_NOT_FOUND'],
    [() => fetchPackument(reg.url, 'bad'), 'UPSTREAM_BAD_RESPONSE'],
    [() => fetchPackument(reg.url, 'nover'), 'UPSTREAM_BAD_RESPONSE'],
    [() => fetchPackument(reg.url, 'err'), 'UPSTREAM_HTTP_ERROR'],
    [() => fetchTarball(`${reg.url}big`, { maxBytes: 1000 }), 'UPSTREAM_TOO_LARGE'],
    [() => fetchTarball('http://127.0.0.1:1/x'), 'UPSTREAM_UNREACHABLE'],
  ];
  try {
    for (const [call, code] of cases) {
      await assert.rejects(call, (err: unknown) => err instanceof UpstreamError && err.code === code, code);
    }
  } finally {
    await reg.close();
  }
});

test('times out on a server that never answers', async () => {
  const { createServer } = await import('node:http');
  const server = createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    await assert.rejects(
      fetchTarball(`http://127.0.0.1:${port}/x`, { timeoutMs: 100 }),
      (err: unknown) => err instanceof UpstreamError && err.code === 'UPSTREAM_TIMEOUT',
    );
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
