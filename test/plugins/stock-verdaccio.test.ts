import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runServer } from 'verdaccio';
import { asyncLoadPlugin } from '@verdaccio/loaders';
import { FakeUpstream } from '../helpers/fake-upstream';
import { distOf } from '../helpers/pack-tarball';
import { PLUGINS_DIR } from '../../server/verdaccio-config';
import { closeAllRuntimes } from '../../server/assemble';
import { silentLogger } from '../../server/logger';

const DAY = 86_400_000;

function stockSetup(upstream: FakeUpstream): { dir: string; configPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-stock-'));
  const cordonYaml = join(dir, 'cordon.yaml');
  writeFileSync(cordonYaml, `dataDir: ${join(dir, 'cordon-data')}\ncooldown: 72h\nupstream: ${upstream.url}\n`);
  const configPath = join(dir, 'config.yaml');
  // What a team that already runs Verdaccio adds to its own config.yaml (see README).
  writeFileSync(
    configPath,
    [
      `storage: ${join(dir, 'storage')}`,
      `plugins: ${PLUGINS_DIR}`,
      'uplinks:',
      `  npmjs: { url: ${upstream.url}, maxage: 0ms }`,
      'packages:',
      "  '**': { access: $all, publish: $authenticated, proxy: npmjs }",
      'filters:',
      `  cordon-filter: { config: ${cordonYaml} }`,
      'middlewares:',
      `  cordon-guard: { config: ${cordonYaml} }`,
      'log: { type: stdout, format: pretty, level: fatal }',
      '',
    ].join('\n'),
  );
  return { dir, configPath };
}

test("the plugins load through Verdaccio's own loader from its plugins folder", async () => {
  const upstream = await new FakeUpstream().start();
  const { dir, configPath } = stockSetup(upstream);
  try {
    const config = { plugins: PLUGINS_DIR, configPath };
    const cordonYaml = join(dir, 'cordon.yaml');
    const filters = await asyncLoadPlugin(
      { 'cordon-filter': { config: cordonYaml } } as never,
      { config, logger: { ...silentLogger, debug: () => {}, trace: () => {} } } as never,
      (p: any) => typeof p.filter_metadata === 'function',
    );
    const middlewares = await asyncLoadPlugin(
      { 'cordon-guard': { config: cordonYaml } } as never,
      { config, logger: { ...silentLogger, debug: () => {}, trace: () => {} } } as never,
      (p: any) => typeof p.register_middlewares === 'function',
    );
    assert.equal(filters.length, 1);
    assert.equal(middlewares.length, 1);
    const now = Date.now();
    const dist = (v: string) => ({ ...distOf(Buffer.from(v)), tarball: `${upstream.url}x/-/x-${v}.tgz` });
    const out = await (filters[0] as any).filter_metadata({
      name: 'x',
      versions: { '1.0.0': { dist: dist('1.0.0') }, '1.0.1': { dist: dist('1.0.1') }, '0.9.0': { dist: {} } },
      time: { '1.0.0': new Date(now - 10 * DAY).toISOString(), '1.0.1': new Date(now).toISOString() },
      'dist-tags': { latest: '1.0.1' },
    });
    assert.deepEqual(Object.keys(out.versions), ['1.0.0'], 'the young version is hidden, and one without a digest is never served');
    assert.deepEqual(out['dist-tags'], { latest: '1.0.0' });
    assert.deepEqual(
      out.versions['1.0.0'].dist,
      { integrity: dist('1.0.0').integrity, tarball: dist('1.0.0').tarball },
      'only the pinned digest',
    );
  } finally {
    await closeAllRuntimes();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stock Verdaccio started from its config.yaml hides and refuses quarantined versions', async () => {
  const upstream = await new FakeUpstream().start();
  const { dir, configPath } = stockSetup(upstream);
  let server: Server | undefined;
  try {
    const now = Date.now();
    upstream.publish('lib', '1.0.0', { time: now - 10 * DAY });
    upstream.publish('lib', '1.1.0', { time: now - 1000 });
    server = (await runServer(configPath)) as unknown as Server;
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const doc = (await (await fetch(`${base}lib`)).json()) as { versions: object };
    assert.deepEqual(Object.keys(doc.versions), ['1.0.0']);
    const res = await fetch(`${base}lib/-/lib-1.1.0.tgz`);
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'QUARANTINED');
    assert.equal((await fetch(`${base}-/cordon/api/v1/packages/lib`)).status, 200);
    const tgz = await fetch(`${base}lib/-/lib-1.0.0.tgz`);
    assert.equal(tgz.status, 200, 'a stock Verdaccio serves released tarballs from the verified store');
    assert.deepEqual(Buffer.from(await tgz.arrayBuffer()), upstream.tarballOf('lib', '1.0.0'));
  } finally {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    }
    await closeAllRuntimes();
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
