import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mirrorBaseUrl, packageUrl, reviewUrl } from '../../server/http/links';
import { loadConfig } from '../../server/config';

const config = { publicUrl: null, host: '127.0.0.1', port: 4873 };

test('the base URL is publicUrl, else the request host, else host:port', () => {
  assert.equal(
    mirrorBaseUrl({ ...config, publicUrl: 'https://npm.corp.example/' }, { headers: { host: 'evil.example' } }),
    'https://npm.corp.example/',
  );
  assert.equal(mirrorBaseUrl(config, { protocol: 'http', headers: { host: 'cordon.internal:4873' } }), 'http://cordon.internal:4873/');
  assert.equal(mirrorBaseUrl(config), 'http://127.0.0.1:4873/');
  assert.equal(mirrorBaseUrl({ ...config, host: '0.0.0.0' }), 'http://127.0.0.1:4873/');
  assert.equal(
    mirrorBaseUrl(config, { headers: { host: 'a b\r\nx' } }),
    'http://127.0.0.1:4873/',
    'a host header that is not a host is not echoed',
  );
});

test('review and package links keep a scope readable and encode everything else', () => {
  const base = 'https://npm.corp.example/mirror/';
  assert.equal(reviewUrl(base, '@acme/ui', '1.0.0+build.5'), 'https://npm.corp.example/mirror/-/cordon/packages/@acme/ui/1.0.0%2Bbuild.5');
  assert.equal(packageUrl(base, 'left-pad'), 'https://npm.corp.example/mirror/-/cordon/packages/left-pad');
  assert.equal(reviewUrl(base, 'x', '../../evil'), 'https://npm.corp.example/mirror/-/cordon/packages/x/..%2F..%2Fevil');
});

test('publicUrl is read from CORDON_PUBLIC_URL, gets a trailing slash, and refuses credentials or a query', () => {
  assert.equal(loadConfig({ CORDON_PUBLIC_URL: 'https://npm.corp.example/mirror' }, '/tmp').publicUrl, 'https://npm.corp.example/mirror/');
  assert.equal(loadConfig({}, '/tmp').publicUrl, null);
  assert.throws(() => loadConfig({ CORDON_PUBLIC_URL: 'https://u:p@x.example/' }, '/tmp'), /CORDON_PUBLIC_URL/);
  assert.throws(() => loadConfig({ CORDON_PUBLIC_URL: 'https://x.example/?a=1' }, '/tmp'), /CORDON_PUBLIC_URL/);
});
