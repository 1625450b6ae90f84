import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../server/config';
import { NOTIFY_EVENTS } from '../../server/notify/events';

const dir = mkdtempSync(join(tmpdir(), 'cordon-notify-config-'));
const SECRET = 'a-shared-secret-of-some-length';
let n = 0;
const load = (notify: unknown, env: Record<string, string> = {}) => {
  const file = join(dir, `c${++n}.yaml`);
  writeFileSync(file, stringify({ notify }));
  return loadConfig({ CORDON_CONFIG: file, ...env }, dir);
};
const refused = (notify: unknown, key: RegExp, env: Record<string, string> = {}) =>
  assert.throws(
    () => load(notify, env),
    (err: unknown) => err instanceof ConfigError && err.code === 'CONFIG_INVALID' && key.test(err.message),
    `expected a refusal naming ${key}`,
  );

test('notify: defaults, every field, and a secret from the environment', () => {
  assert.deepEqual(loadConfig({}, dir).notify, []);
  assert.equal(loadConfig({}, dir).shutdownTimeoutMs, 10_000);
  const [a, b] = load(
    [
      { url: 'https://hooks.example.test/cordon', secret: SECRET },
      {
        url: 'https://hooks.slack.test/services/T0/B0/xyz',
        format: 'slack',
        events: ['held', 'cascaded', 'held'],
        name: 'chat',
        timeout: '3s',
        secretEnv: 'SLACK_SIGNING',
      },
    ],
    { SLACK_SIGNING: 'from-the-environment-0123' },
  ).notify;
  assert.deepEqual(
    { ...a, key: undefined },
    {
      name: 'hooks.example.test',
      url: 'https://hooks.example.test/cordon',
      events: [...NOTIFY_EVENTS],
      secret: SECRET,
      format: 'json',
      timeoutMs: 10_000,
      key: undefined,
    },
  );
  assert.deepEqual(
    { ...b, key: undefined },
    {
      name: 'chat',
      url: 'https://hooks.slack.test/services/T0/B0/xyz',
      events: ['held', 'cascaded'],
      secret: 'from-the-environment-0123',
      format: 'slack',
      timeoutMs: 3_000,
      key: undefined,
    },
  );
  assert.match(a!.key, /^[0-9a-f]{24}$/);
  assert.notEqual(a!.key, b!.key);
  assert.equal(
    load([{ url: 'https://hooks.example.test/cordon', secret: SECRET }]).notify[0]!.key,
    a!.key,
    'the key of an endpoint is stable across starts',
  );
  assert.equal(load([{ url: 'https://hooks.slack.test/x', format: 'slack' }]).notify[0]!.secret, null, 'Slack needs no secret');
  assert.equal(loadConfig({ CORDON_SHUTDOWN_TIMEOUT: '30s' }, dir).shutdownTimeoutMs, 30_000);
});

test('notify: bad entries are refused with the key that is wrong, and a secret is never echoed', () => {
  refused({ url: 'https://x.test/' }, /notify \(in .*\)=.*a list/);
  refused([{ url: 'ftp://x.test/hook', secret: SECRET }], /notify\[0\]\.url/);
  refused([{ url: 'file:///etc/passwd', secret: SECRET }], /notify\[0\]\.url/);
  refused([{ url: 'https://user:pw@x.test/hook', secret: SECRET }], /notify\[0\]\.url.*without credentials/);
  refused([{ url: 'https://x.test/hook' }], /notify\[0\]\.secret.*receivers must be able to check/);
  refused([{ url: 'https://x.test/hook', secret: 'short' }], /notify\[0\]\.secret/);
  refused([{ url: 'https://x.test/hook', secret: SECRET, events: ['released'] }], /notify\[0\]\.events \(in .*\)="released"/);
  refused([{ url: 'https://x.test/hook', secret: SECRET, events: [] }], /notify\[0\]\.events/);
  refused([{ url: 'https://x.test/hook', secret: SECRET, format: 'xml' }], /notify\[0\]\.format/);
  refused([{ url: 'https://x.test/hook', secret: SECRET, timeout: '5m' }], /notify\[0\]\.timeout/);
  refused([{ url: 'https://x.test/hook', secret: SECRET, colour: 'red' }], /notify\[0\]\.colour/);
  refused(
    [
      { url: 'https://x.test/a', secret: SECRET },
      { url: 'https://x.test/b', secret: SECRET },
    ],
    /notify\[1\]\.name.*two endpoints on one host/,
  );
  refused([{ url: 'https://x.test/a', secret: SECRET, secretEnv: 'X' }], /notify\[0\]\.secretEnv.*not both/);
  refused(
    [{ url: 'https://x.test/a', secretEnv: 'CORDON_TEST_UNSET_SECRET' }],
    /notify\[0\]\.secretEnv.*CORDON_TEST_UNSET_SECRET is not set/,
  );
  assert.throws(
    () => load([{ url: 'https://x.test/a', secret: 'tiny-secret' }]),
    (err: unknown) => !(err as Error).message.includes('tiny-secret'),
  );
  assert.throws(
    () => load([{ url: 'https://x.test/a', secretEnv: 'S' }], { S: 'tiny-secret' }),
    (err: unknown) => !(err as Error).message.includes('tiny-secret'),
  );
});
