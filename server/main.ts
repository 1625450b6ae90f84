/** `npm start`: read the settings, start the mirror, stop cleanly on SIGINT/SIGTERM. */
import { loadConfig, ConfigError, formatDuration } from './config';
import { startMirror } from './mirror';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cordon: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const mirror = await startMirror(config);
  process.stdout.write(
    `cordon: mirror of ${config.upstream} listening on ${mirror.url} (cooldown ${formatDuration(config.cooldownMs)}, data in ${config.dataDir})\n` +
      `cordon: point npm at it with: npm config set registry ${mirror.url}\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`cordon: ${signal}, stopping\n`);
    mirror.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`cordon: error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`cordon: cannot start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
