import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestMirror, DAY, HOUR, NOW, visibleVersions } from '../helpers/mirror';

const mountPoint = join(tmpdir(), `cordon-full-disk-${process.pid}`);

/** A small tmpfs of our own (needs root; the test is skipped where it cannot be made). */
function mountSmallDisk(): string | null {
  mkdirSync(mountPoint, { recursive: true });
  const res = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mountPoint]);
  if (res.status === 0) return null;
  rmdirSync(mountPoint);
  return `cannot mount a tmpfs here (${res.stderr.toString().trim() || `exit ${res.status}`}); run as root to include this test`;
}

/** Fills the disk to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(256 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    for (let size = 64 * 1024; size >= 1; size = Math.floor(size / 2)) {
      try {
        for (;;) writeSync(fd, chunk.subarray(0, size));
      } catch {
        // smaller next
      }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

const cannotMount = process.getuid?.() === 0 ? mountSmallDisk() : 'not root: cannot mount a tmpfs';

test('a full disk: the mirror serves what it has, refuses what it cannot record with a clear error, and recovers when space returns', {
  skip: cannotMount ?? false,
}, async () => {
  const dataDir = join(mountPoint, 'data');
  const m = await startTestMirror({ now: NOW, dataDir, env: { CORDON_UPSTREAM_MAXAGE: '2m' } });
  try {
    m.upstream.publish('have', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('have', '0.9.0', { time: NOW - 40 * DAY });
    m.upstream.publish('have', '1.0.1', { time: NOW - HOUR });
    m.upstream.publish('newpkg', '2.0.0', { time: NOW - 30 * DAY });
    assert.deepEqual(await visibleVersions(`${m.mirror.url}have`), ['0.9.0', '1.0.0']);
    assert.equal((await fetch(`${m.mirror.url}have/-/have-1.0.0.tgz`)).status, 200);
    const filler = fill(mountPoint);

    assert.equal((await fetch(`${m.mirror.url}have/-/have-1.0.0.tgz`)).status, 200, 'a tarball it has is served');
    assert.deepEqual(await visibleVersions(`${m.mirror.url}have`), ['0.9.0', '1.0.0'], 'a packument it has is served, quarantine applied');
    const notStored = await fetch(`${m.mirror.url}have/-/have-0.9.0.tgz`);
    assert.equal(notStored.status, 503, 'a tarball it cannot store is refused');
    assert.match(
      ((await notStored.json()) as { error: string }).error,
      /cannot store the verified tarball of have@0\.9\.0.*ENOSPC.*free disk space/,
    );
    const first = await fetch(`${m.mirror.url}newpkg`);
    assert.ok(
      first.status === 503 || Object.keys(((await first.clone().json()) as { versions: object }).versions).length === 0,
      'a first sighting it cannot record serves no version',
    );
    if (first.status === 503) assert.match(((await first.json()) as { error: string }).error, /cannot answer for newpkg right now/);
    await m.mirror.pipeline.drain();
    assert.equal(
      (await m.mirror.runtime.store.versions.versionOf('have', '1.0.1'))?.analysis,
      'pending',
      'an analysis that cannot store its tarball waits',
    );
    assert.equal((await m.mirror.runtime.store.versions.versionOf('have', '1.0.1'))?.state, 'quarantined');
    assert.equal((await fetch(`${m.mirror.url}-/ping`)).status, 200);

    rmSync(filler);
    assert.equal((await fetch(`${m.mirror.url}have/-/have-0.9.0.tgz`)).status, 200, 'recovered: stored and served');
    assert.deepEqual(await visibleVersions(`${m.mirror.url}newpkg`), ['2.0.0'], 'recovered: first sight recorded');
    m.clock.advance(HOUR);
    // The runner backed off while the store could not be written (up to 30 s between tries when the full
    // disk lasted long, as on a loaded machine); it tries again on its own.
    const recoverBy = Date.now() + 45_000;
    while (Date.now() < recoverBy && (await m.mirror.runtime.store.versions.versionOf('have', '1.0.1'))?.analysis === 'pending') {
      await m.mirror.pipeline.drain();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await m.mirror.runtime.store.versions.versionOf('have', '1.0.1'))?.analysis, 'clean', 'recovered: the analysis ran');
  } finally {
    await m.stop(false);
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});
