/** `npm start`: read the settings, start the mirror, stop cleanly on SIGINT/SIGTERM. */
import { formatDuration } from './config';
import { loadConfigOrExit } from './config/load-or-exit';
import { startMirror } from './mirror';

async function main(): Promise<void> {
  const config = loadConfigOrExit('cordon');
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
