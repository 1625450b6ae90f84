import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../server/config';
import { startTestMirror } from '../helpers/mirror';
import { runProcess } from '../helpers/run-process';

const ROOT = join(__dirname, '..', '..', '..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      command?: string[];
      environment?: Record<string, string>;
      volumes?: string[];
      deploy?: { replicas?: number };
      build?: string;
      healthcheck?: { test: string[] };
      stop_grace_period?: string;
    }
  >;
  volumes: Record<string, unknown>;
};

/** Loads the config from a service's environment, recording every variable the config module read. */
function configFor(env: Record<string, string>): { config: ReturnType<typeof loadConfig>; read: Set<string> } {
  const read = new Set<string>();
  const proxy = new Proxy(
    { ...env, CORDON_CONFIG: '' },
    {
      get: (target, key: string) => {
        read.add(key);
        return target[key as keyof typeof target];
      },
    },
  );
  return { config: loadConfig(proxy, '/nonexistent-cwd'), read };
}

test('the compose file runs a mirror, Redis and two workers with commands that exist in the build', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['mirror', 'redis', 'worker']);
  assert.equal(compose.services.worker!.deploy?.replicas, 2);
  for (const name of ['mirror', 'worker']) {
    const command = compose.services[name]!.command!;
    assert.equal(command[0], 'node');
    assert.ok(existsSync(join(ROOT, command[1]!)), `${name}: ${command[1]} is built by npm run build`);
    assert.equal(compose.services[name]!.build, '.');
  }
  assert.match(compose.services.mirror!.command![1]!, /server\/main\.js$/);
  assert.match(compose.services.worker!.command![1]!, /pipeline\/worker-main\.js$/);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.start!, new RegExp(compose.services.mirror!.command![1]!.replace(/\./g, '\\.')));
  assert.match(pkg.scripts.worker!, new RegExp(compose.services.worker!.command![1]!.replace(/\./g, '\\.')));
});

test('every variable the compose file sets is one the code reads, with a valid value', () => {
  for (const name of ['mirror', 'worker']) {
    const env = compose.services[name]!.environment!;
    const { config, read } = configFor(env);
    for (const key of Object.keys(env)) assert.ok(read.has(key), `${name}: ${key} is not read by the config module`);
    assert.equal(config.redisUrl, 'redis://redis:6379');
    assert.equal(config.queueName, 'cordon-analysis');
  }
  const mirror = configFor(compose.services.mirror!.environment!).config;
  assert.equal(mirror.host, '0.0.0.0');
  assert.equal(mirror.port, 4873);
  assert.equal(mirror.dataDir, '/data');
  assert.ok(compose.services.mirror!.volumes!.includes('cordon-data:/data'), 'the data folder is the named volume');
  assert.ok('cordon-data' in compose.volumes);
  assert.equal(
    compose.services.mirror!.environment!.REDIS_URL,
    compose.services.worker!.environment!.REDIS_URL,
    'mirror and workers share one Redis',
  );
  assert.equal(compose.services.mirror!.environment!.CORDON_QUEUE, compose.services.worker!.environment!.CORDON_QUEUE, 'and one queue');
});

test('the Dockerfile builds the way the README does', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.match(readme, /npm ci && npm start/);
  assert.match(dockerfile, /RUN npm ci\n/);
  assert.match(dockerfile, /RUN npm run build/);
  assert.match(dockerfile, /CMD \["node", "dist\/server\/main\.js"\]/);
});

test("the mirror's health check asks the readiness route on the mirror's port, and its command works", async () => {
  const check = compose.services.mirror!.healthcheck!.test;
  assert.deepEqual(check.slice(0, 3), ['CMD', 'node', '-e'], 'the image has node, not curl');
  const script = check[3]!;
  const port = compose.services.mirror!.environment!.CORDON_PORT;
  assert.ok(script.includes(`http://127.0.0.1:${port}/-/cordon/health/ready`));
  assert.ok(compose.services.mirror!.stop_grace_period, 'a stop grace longer than the drain');

  // The same command against a real mirror: exit 0 while ready, 1 once it is not.
  const m = await startTestMirror();
  try {
    const against = script.replace(`http://127.0.0.1:${port}/`, m.mirror.url);
    const env = { PATH: process.env.PATH };
    assert.equal((await runProcess(process.execPath, ['-e', against], { cwd: ROOT, env, timeoutMs: 30_000 })).code, 0);
    m.mirror.runtime.ops.beginStop();
    assert.equal((await runProcess(process.execPath, ['-e', against], { cwd: ROOT, env, timeoutMs: 30_000 })).code, 1);
  } finally {
    await m.stop();
  }
});
