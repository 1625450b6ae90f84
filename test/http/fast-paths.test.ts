import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestMirror, DAY, HOUR, visibleVersions } from '../helpers/mirror';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const versionsOf = visibleVersions;

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
    assert.equal(m.upstream.requests.length, before, 'the next answer came from memory');

    m.clock.advance(72 * HOUR - HOUR - 1);
    assert.deepEqual(await versionsOf(`${m.mirror.url}cached`), ['1.0.0']);
    m.clock.advance(1); // the cooldown ends: no store write, the entry expires by time
    assert.deepEqual(await versionsOf(`${m.mirror.url}cached`), ['1.0.0', '1.1.0']);
  } finally {
    await m.stop();
  }
});
