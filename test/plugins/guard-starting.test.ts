/**
 * While the guard's runtime is still being assembled (its store opening), a request with a body is
 * refused with a 503 the client can retry, instead of being held a turn and losing body bytes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { stringify } from 'yaml';
import CordonGuardPlugin from '../../plugins/verdaccio-cordon-guard';
import { closeAllRuntimes } from '../../server/assemble';
import { silentLogger } from '../../server/logger';

const dir = mkdtempSync(join(tmpdir(), 'cordon-guard-starting-'));
const sockets: Socket[] = [];
// A database server that accepts connections and never answers: the store stays "opening".
const blackhole = createServer((socket) => void sockets.push(socket));

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => blackhole.close(resolve));
  await closeAllRuntimes();
  rmSync(dir, { recursive: true, force: true });
});

test('a POST that arrives while the store is still opening gets 503 with Retry-After, and nothing is decided', async () => {
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  const { port } = blackhole.address() as AddressInfo;
  const config = join(dir, 'cordon.yaml');
  writeFileSync(config, stringify({ dataDir: join(dir, 'data'), databaseUrl: `postgres://postgres@127.0.0.1:${port}/cordon` }));
  const plugin = new CordonGuardPlugin({ config }, { logger: silentLogger });
  const app = express();
  plugin.register_middlewares(app, undefined as never, undefined as never);
  app.use((_req, res) => void res.status(418).end());

  const res = await request(app)
    .post('/-/cordon/api/v1/approvals/demo/1.0.0')
    .set('content-type', 'application/json')
    .send({ statement: 'x', signature: 'y' });
  assert.equal(res.status, 503);
  assert.equal(res.headers['retry-after'], '2');
  assert.equal(res.body.code, 'UNAVAILABLE');
  assert.match(res.body.error, /still starting/);
  assert.ok(sockets.length >= 1, 'the store was really still connecting');
});
