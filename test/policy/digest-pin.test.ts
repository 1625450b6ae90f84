import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { bytesMatch, DigestCheck, parsePinned, pinDigest, stillPinned } from '../../server/policy/digest-pin';

const bytes = Buffer.from('the reviewed bytes');
const other = Buffer.from('other bytes');
const sri = (algo: string, b: Buffer) => `${algo}-${createHash(algo).update(b).digest('base64')}`;
const hex1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

test('the strongest digest upstream gives is pinned; weaker ones and unknown algorithms do not count', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ integrity: `${sri('sha512', bytes)} ${sri('sha1', bytes)}`, shasum: hex1(bytes) }, sri('sha512', bytes)],
    [{ integrity: `${sri('sha1', other)} ${sri('sha384', bytes)}` }, sri('sha384', bytes)],
    [{ integrity: `md5-xyz ${sri('sha256', bytes)}` }, sri('sha256', bytes)],
    [{ shasum: hex1(bytes) }, sri('sha1', bytes)],
    [{ integrity: `${sri('sha512', bytes)}?opt=1` }, sri('sha512', bytes)],
  ];
  for (const [dist, expected] of cases) {
    const pin = pinDigest(dist);
    assert.equal(pin.kind === 'pinned' && pin.digest.sri, expected, JSON.stringify(dist));
  }
  assert.deepEqual(pinDigest({}), { kind: 'none' });
  assert.deepEqual(pinDigest(undefined), { kind: 'none' });
});

test('two digests of the strongest algorithm, or a malformed one, pin nothing: the version is refused', () => {
  const refused: Array<Record<string, unknown>> = [
    { integrity: `${sri('sha512', bytes)} ${sri('sha512', other)}` },
    { integrity: `${sri('sha512', bytes)} sha512-AAAA` },
    { integrity: `sha512-${'A'.repeat(87)}=` },
    { integrity: `${sri('sha256', bytes)} ${sri('sha256', other)} ${sri('sha1', bytes)}` },
    { integrity: 42 },
    { shasum: 'not-hex' },
    { shasum: hex1(bytes), integrity: `${sri('sha1', other)}` },
  ];
  for (const dist of refused) assert.equal(pinDigest(dist).kind, 'refused', JSON.stringify(dist));
});

test('a later look still shows the pin only when it lists it and no other digest of its algorithm', () => {
  const pin = parsePinned(sri('sha512', bytes))!;
  assert.equal(stillPinned({ integrity: sri('sha512', bytes), shasum: hex1(other) }, pin), true, 'a weaker digest is not the pin');
  assert.equal(stillPinned({ integrity: `${sri('sha512', bytes)} ${sri('sha512', other)}` }, pin), false);
  assert.equal(stillPinned({ shasum: hex1(bytes) }, pin), false, 'sha1 only');
  assert.equal(stillPinned({ integrity: sri('sha256', bytes) }, pin), false, 'another algorithm only');
  assert.equal(stillPinned(undefined, pin), false);
  assert.equal(parsePinned('sha512-AAAA'), null);
  assert.equal(parsePinned(`${sri('sha512', bytes)} ${sri('sha1', bytes)}`), null, 'a stored pin is exactly one digest');
});

test('bytes are checked against the pin, and their sha512 comes along', () => {
  const sha1pin = parsePinned(sri('sha1', bytes))!;
  const check = new DigestCheck(sha1pin);
  check.update(bytes.subarray(0, 5));
  check.update(bytes.subarray(5));
  const done = check.finish();
  assert.equal(done.matches, true);
  assert.equal(done.sha512.sri, sri('sha512', bytes));
  assert.equal(bytesMatch(other, sha1pin), false);
  const wrong = new DigestCheck(parsePinned(sri('sha512', bytes))!);
  wrong.update(other);
  assert.equal(wrong.finish().matches, false);
});
