/** The webhook receiver printed in the README, run as written against a real mirror. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DAY, HOUR, NOW, startTestMirror } from '../helpers/mirror';

const README = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
const SECRET = 'readme-receiver-secret-0123456789';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

test("the README's receiver verifies the signature, drops a repeated id, and takes Cordon's deliveries", async () => {
  const code = /```js\n(\/\/ receiver\.js[\s\S]*?)```/.exec(README)?.[1];
  assert.ok(code, 'the README has the receiver example');
  const dir = mkdtempSync(join(tmpdir(), 'cordon-readme-receiver-'));
  writeFileSync(join(dir, 'receiver.js'), code);
  const port = await freePort();
  const receiver = spawn(process.execPath, ['receiver.js'], {
    cwd: dir,
    env: { PATH: process.env.PATH, CORDON_WEBHOOK_SECRET: SECRET, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let printed = '';
  receiver.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
  const url = `http://127.0.0.1:${port}/`;
  let m: Awaited<ReturnType<typeof startTestMirror>> | undefined;
  try {
    for (let i = 0; ; i++) {
      const up = await fetch(url, { method: 'POST', body: '{}' }).then(
        (r) => r.status,
        () => 0,
      );
      if (up === 401) break;
      assert.ok(i < 200, 'the receiver starts');
      await new Promise((r) => setTimeout(r, 25));
    }
    const file = join(dir, 'cordon.yaml');
    writeFileSync(file, stringify({ notify: [{ url, secretEnv: 'CORDON_TEST_README_SECRET' }] }));
    m = await startTestMirror({
      now: NOW,
      env: { CORDON_CONFIG: file, CORDON_TEST_README_SECRET: SECRET, CORDON_WITHDRAW_CONFIRMATIONS: '1', CORDON_WITHDRAW_WINDOW: '0' },
    });
    m.upstream.publish('readme-lib', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('readme-lib', '1.0.1', { time: NOW - HOUR });
    await (await fetch(`${m.mirror.url}readme-lib`)).arrayBuffer();
    m.upstream.withdraw('readme-lib', '1.0.1');
    await m.mirror.sweeper.runNow();
    await m.mirror.notifier.runNow();
    const [delivery] = await m.mirror.runtime.store.notifications.due(Number.MAX_SAFE_INTEGER);
    assert.equal(delivery, undefined, 'delivered: the receiver accepted the signature');
    assert.match(
      printed,
      /^blocked: readme-lib@1\.0\.1 \(no findings\) http:\/\/127\.0\.0\.1:\d+\/-\/cordon\/packages\/readme-lib\/1\.0\.1\n$/,
    );

    // Replays and forgeries, as an attacker on the network would send them.
    const body = JSON.stringify({ event: 'approved', package: 'readme-lib', version: '1.0.1' });
    const { createHmac } = await import('node:crypto');
    const sign = (b: string, key = SECRET) => `sha256=${createHmac('sha256', key).update(b).digest('hex')}`;
    const post = (b: string, signature: string | null, id = 'forged-1') =>
      fetch(url, {
        method: 'POST',
        body: b,
        headers: {
          'content-type': 'application/json',
          'x-cordon-delivery': id,
          ...(signature ? { 'x-cordon-signature-256': signature } : {}),
        },
      }).then((r) => r.status);
    assert.equal(await post(body, null), 401, 'unsigned');
    assert.equal(await post(body, sign(body, 'not-the-secret-0123456789')), 401, 'signed with another key');
    assert.equal(await post(body, sign(`${body} `)), 401, 'signature of other bytes');
    assert.equal(await post(body, sign(body).slice(0, -2)), 401, 'truncated signature');
    assert.equal(await post(body, sign(body), 'again-1'), 204);
    assert.equal(await post(body, sign(body), 'again-1'), 204, 'a repeat is acknowledged…');
    assert.equal(printed.split('\n').filter((l) => l.startsWith('approved:')).length, 1, '…and handled once');
  } finally {
    await m?.stop();
    receiver.kill('SIGTERM');
  }
});
