/** Builds the Verdaccio configuration `npm start` runs: one uplink, both Cordon plugins, nothing writable by default. */
import { join } from 'node:path';
import type { CordonConfig } from './config';

/** Folder of the compiled plugins (`dist/plugins`), which holds `verdaccio-cordon-filter` and `verdaccio-cordon-guard`. */
export const PLUGINS_DIR = join(__dirname, '..', 'plugins');

/** Verdaccio's log settings for `config`: JSON lines on stdout (pino), at the configured level. */
export function logSettings(config: Pick<CordonConfig, 'logLevel'>): { type: 'stdout'; format: 'json'; level: CordonConfig['logLevel'] } {
  return { type: 'stdout', format: 'json', level: config.logLevel };
}

/** The configuration object for Verdaccio's `runServer`, wiring the plugins to the runtime `runtimeId`. */
export function verdaccioConfig(config: CordonConfig, runtimeId: string): Record<string, unknown> {
  const access = { access: '$all', publish: '$authenticated', unpublish: '$authenticated', proxy: 'upstream' };
  return {
    // Verdaccio resolves relative paths against this; every path below is absolute.
    configPath: join(config.dataDir, 'verdaccio.yaml'),
    self_path: join(config.dataDir, 'verdaccio.yaml'),
    storage: join(config.dataDir, 'storage'),
    plugins: PLUGINS_DIR,
    uplinks: {
      upstream: {
        url: config.upstream,
        maxage: `${config.upstreamMaxAgeMs}ms`,
        timeout: '30s',
        fail_timeout: '1m',
        max_fails: 5,
        cache: true,
      },
    },
    packages: { '@*/*': access, '**': access },
    filters: { 'cordon-filter': { runtime: runtimeId } },
    middlewares: { 'cordon-guard': { runtime: runtimeId } },
    auth: { htpasswd: { file: join(config.dataDir, 'htpasswd'), max_users: config.allowRegistration ? 1000 : -1 } },
    web: { enable: true, title: 'Cordon' },
    log: logSettings(config),
    max_body_size: '50mb',
    // With tls set, Verdaccio's own server factory serves https (the mirror still picks host and port).
    ...(config.tls
      ? {
          https: { cert: config.tls.cert, key: config.tls.key },
          listen: `https://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}/`,
        }
      : {}),
  };
}
