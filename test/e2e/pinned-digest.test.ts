import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestMirror, DAY, HOUR } from '../helpers/mirror';
import { NpmClient } from '../helpers/npm-client';
import { distOf, packTarball } from '../helpers/pack-tarball';

const NOW = Date.parse('2026-11-20T12:00:00Z');

test('a version listing two digests cannot have one set of bytes analysed and another installed by the real npm', async () => {
  const m = await startTestMirror({ now: NOW });
  const npm = new NpmClient(m.mirror.url);
  const markerDir = mkdtempSync(join(tmpdir(), 'cordon-payload-'));
  const marker = join(markerDir, 'payload-ran');
  try {
    m.upstream.publish('twin-swap', '1.0.0', { time: NOW - 30 * DAY });
    const benign = m.upstream.publish('twin-swap', '1.0.1', { time: NOW - HOUR });
    const payload = packTarball({
      'package.json': JSON.stringify({
        name: 'twin-swap',
        version: '1.0.1',
        scripts: { postinstall: `node -e "require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')"` },
      }),
      'index.js': 'module.exports = 1;\n',
    });
    // The hostile packument lists both digests: the benign bytes for the analysis, the payload for later.
    m.upstream.publish('twin-swap', '1.0.1', { time: NOW - HOUR, dist: { integrity: `${benign.integrity} ${distOf(payload).integrity}` } });

    const view = await npm.run(['view', 'twin-swap', 'versions', '--json']);
    assert.equal(view.code, 0, view.stderr);
    assert.deepEqual([JSON.parse(view.stdout)].flat(), ['1.0.0']);
    await m.mirror.pipeline.drain();
    m.clock.advance(4 * DAY);
    m.upstream.tarballOverrides.set('twin-swap-1.0.1.tgz', payload);

    const pinned = await npm.run(['install', 'twin-swap@1.0.1']);
    assert.notEqual(pinned.code, 0, 'the version is refused');
    assert.equal(npm.installed('twin-swap'), undefined);
    npm.reset();
    const latest = await npm.run(['install', 'twin-swap']);
    assert.equal(latest.code, 0, latest.stderr);
    assert.equal(npm.installed('twin-swap'), '1.0.0');
    npm.reset();
    const direct = await npm.run(['install', `${m.mirror.url}twin-swap/-/twin-swap-1.0.1.tgz`]);
    assert.notEqual(direct.code, 0);
    assert.match(direct.stderr, /twin-swap@1\.0\.1 is blocked by Cordon: upstream's integrity for twin-swap@1\.0\.1 is refused/);
    assert.equal(existsSync(marker), false, 'the payload never ran');
  } finally {
    await m.stop();
    npm.remove();
    rmSync(markerDir, { recursive: true, force: true });
  }
});
