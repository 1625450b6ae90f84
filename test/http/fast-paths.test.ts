import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestMirror, DAY, HOUR, visibleVersions } from '../helpers/mirror';
import { matchesIntegrity } from '../../server/policy/manifest';
import { distOf } from '../helpers/pack-tarball';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const versionsOf = visibleVersions;

test('matchesIntegrity uses the strongest algorithm present', () => {
  const bytes = Buffer.from('hello');
  const { integrity, shasum } = distOf(bytes);
  const sha1 = `sha1-${Buffer.from(shasum, 'hex').toString('base64')}`;
  assert.equal(matchesIntegrity(bytes, `${integrity} ${sha1}`), true);
  assert.equal(matchesIntegrity(Buffer.from('other'), `${integrity} ${sha1}`), false);
  assert.equal(matchesIntegrity(bytes, `sha512-AAAA ${sha1}`), false, 'a matching sha1 does not rescue a wrong sha512');
  assert.equal(matchesIntegrity(bytes, sha1), true);
  assert.equal(matchesIntegrity(bytes, 'md5-xyz'), false);
});

test('cached packuments never outlive a visibility change', async () => {
  const m = await startTestMirror({ now: NOW, env: { CORDON_UPSTREAM_MAXAGE: '1m' } });
  try {
    m.upstream.publish('cached', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('cached', '1.1.0', { time: NOW - HOUR });
    assert.deepEqual(await versionsOf(`${m.mirror.url}cached`), ['1.0.0']);
    await m.mirror.pipeline.drain(); // the analysis writes to the store: the cached answer is stale
    assert.deepEqual(await versionsOf(`${m.mirror.url}cached`), ['1.0.0']);
    const before = m.upstream.requests.length;
    assert.deepEqual(await versionsOf(`${m.mirror.url}cached`), ['1.0.0']);
    assert.equal(m.upstream.requests.length, before, 'the second answer came from memory');

    m.clock.advance(72 * HOUR - HOUR - 1);
    assert.deepEqual(await versionsOf(`${m.mirror.url}cached`), ['1.0.0']);
    m.clock.advance(1); // the cooldown ends: no store write, the entry expires by time
    assert.deepEqual(await versionsOf(`${m.mirror.url}cached`), ['1.0.0', '1.1.0']);
  } finally {
    await m.stop();
  }
});

