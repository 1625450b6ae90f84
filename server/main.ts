/**
 * `npm start`: read the settings, start the mirror, log JSON lines through Verdaccio's logger, and stop
 * cleanly on SIGTERM or SIGINT (exit 0). Started by npm, it also stops when npm goes away, so a killed
 * `npm start` never leaves the mirror holding its port.
 */
import { formatDuration } from './config';
import { loadConfigOrExit } from './config/load-or-exit';
import { startMirror } from './mirror';
import { logSettings } from './verdaccio-config';
import { verdaccioLogger } from './verdaccio-logger';
import { watchParent } from './ops/watch-parent';

/** Beyond the request drain, what a stop may take before the process gives up and exits 1. */
const STOP_MARGIN_MS = 15_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit('cordon');
  const logger = verdaccioLogger(logSettings(config));
  const mirror = await startMirror(config, { logger });
  // At warn, like Verdaccio's own address line, so the default level shows where the mirror listens.
  logger.warn(
    {
      url: mirror.url,
      upstream: config.upstream,
      cooldown: formatDuration(config.cooldownMs),
      dataDir: config.dataDir,
      runner: mirror.pipeline.kind,
    },
    `cordon: mirror of ${config.upstream} listening on ${mirror.url}; point npm at it with: npm config set registry ${mirror.url}`,
  );
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.warn({ signal: why, timeoutMs: config.shutdownTimeoutMs }, `cordon: ${why}, stopping`);
    setTimeout(() => {
      logger.error({ signal: why }, 'cordon: the stop did not finish in time; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + STOP_MARGIN_MS).unref();
    mirror.close().then(
      () => {
        logger.warn({}, 'cordon: stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'cordon: error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // npm forwards SIGTERM to the script it runs, but a wrapper between them may not; and a killed npm forwards nothing.
  if (process.env.npm_lifecycle_event) watchParent(() => stop('parent-exited'));
}

main().catch((err: unknown) => {
  process.stderr.write(`cordon: cannot start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
