import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MALFORMED, parsePackagePath, versionFromFilename } from '../../server/http/request-path';

describe('every spelling of a tarball URL reads the same', () => {
  const scoped = { kind: 'tarball', name: '@acme/ui', filename: 'ui-1.2.3.tgz' };
  const plain = { kind: 'tarball', name: 'left-pad', filename: 'left-pad-1.2.3.tgz' };
  const cases: Array<[string, unknown]> = [
    ['/left-pad/-/left-pad-1.2.3.tgz', plain],
    ['/left-pad/-/left-pad-1.2.3.tgz/', plain],
    ['/left-pad/-/left-pad-1.2.3.tgz?cache=bust', plain],
    ['/left-pad/-/left-pad-1.2.3.tgz#x', plain],
    ['//left-pad//-//left-pad-1.2.3.tgz', plain],
    ['/%6Ceft-pad/-/left-pad-1.2.3.tgz', plain],
    ['/left-pad/%2D/left-pad-1.2.3.tgz', plain],
    ['/left-pad/-/left-pad-1.2.3%2Etgz', plain],
    ['/@acme/ui/-/ui-1.2.3.tgz', scoped],
    ['/@acme%2fui/-/ui-1.2.3.tgz', scoped],
    ['/@acme%2Fui/-/ui-1.2.3.tgz', scoped],
    ['/%40acme%2Fui/-/ui-1.2.3.tgz', scoped],
    ['/%40acme/ui/-/ui-1.2.3.tgz', scoped],
    ['/%2540acme%252Fui/-/ui-1.2.3.tgz', scoped],
    ['/@acme/ui/-/@acme/ui-1.2.3.tgz', scoped],
    ['/@acme/ui/-/ui-1.2.3.tgz/?a=b', scoped],
  ];
  for (const [url, expected] of cases) test(url, () => assert.deepEqual(parsePackagePath(url), expected));
});

test('versions, packuments, API paths and malformed URLs', () => {
  assert.deepEqual(parsePackagePath('/left-pad/1.2.3'), { kind: 'version', name: 'left-pad', spec: '1.2.3' });
  assert.deepEqual(parsePackagePath('/@acme%2fui/latest'), { kind: 'version', name: '@acme/ui', spec: 'latest' });
  assert.deepEqual(parsePackagePath('/@acme/ui'), { kind: 'packument', name: '@acme/ui' });
  assert.deepEqual(parsePackagePath('/left-pad/'), { kind: 'packument', name: 'left-pad' });
  assert.equal(parsePackagePath('/-/v1/search?text=x'), null);
  assert.equal(parsePackagePath('/-/package/left-pad/dist-tags'), null);
  assert.equal(parsePackagePath('/'), null);
  assert.equal(parsePackagePath('/left-pad/-/'), null);
  assert.equal(parsePackagePath('/left-pad/%E0%A4%A/x'), MALFORMED);
  assert.equal(parsePackagePath('/left-pad/-/a%00b.tgz'), MALFORMED);
});

test('versionFromFilename', () => {
  assert.equal(versionFromFilename('left-pad', 'left-pad-1.2.3.tgz'), '1.2.3');
  assert.equal(versionFromFilename('@acme/ui', 'ui-2.0.0-beta.1.tgz'), '2.0.0-beta.1');
  assert.equal(versionFromFilename('left-pad', 'right-pad-1.2.3.tgz'), null);
  assert.equal(versionFromFilename('left-pad', 'left-pad-latest.tgz'), null);
  assert.equal(versionFromFilename('left-pad', 'left-pad-1.2.3.zip'), null);
});
