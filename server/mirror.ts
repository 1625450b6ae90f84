/** Starts and stops one Cordon mirror: the runtime, Verdaccio with both plugins, the sweeper, the pipeline and the notifier. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runServer } from 'verdaccio';
import type { CordonConfig } from './config';
import type { Clock } from './clock';
import type { Logger } from './logger';
import { assemble, type CordonRuntime } from './assemble';
import { startSweeper, type FetchPackument, type Sweeper } from './sweeper/sweeper';
import { createPipeline, type Runner } from './pipeline';
import type { Execute } from './pipeline/embedded-runner';
import { logSettings, verdaccioConfig } from './verdaccio-config';
import { verdaccioLogger } from './verdaccio-logger';
import { startNotifier } from './notify/start-notifier';
import type { Notifier } from './notify/notifier';
import { gracefulServer } from './ops/graceful-close';

export interface Mirror {
  /** Base URL clients put in `.npmrc`, ending in `/`. */
  readonly url: string;
  readonly server: Server;
  readonly runtime: CordonRuntime;
  readonly sweeper: Sweeper;
  /** The analysis queue runner (embedded, or BullMQ when REDIS_URL is set). */
  readonly pipeline: Runner;
  /** Delivers webhook notifications from the outbox. */
  readonly notifier: Notifier;
  /**
   * Stops: readiness fails, no new connections, the sweeper, the pipeline (a running analysis finishes
   * or runs again at the next start) and the notifier stop, requests in flight finish within
   * `shutdownTimeout`, then the store closes.
   */
  close(): Promise<void>;
}

export interface MirrorOptions {
  readonly clock?: Clock;
  /** Where Cordon's lines go; by default Verdaccio's logger (JSON lines on stdout). */
  readonly logger?: Logger;
  /** Replaces the sweeper's upstream reader (tests). */
  readonly fetchPackument?: FetchPackument;
  /** Replaces the embedded runner's worker threads (tests). */
  readonly execute?: Execute;
}

/** Starts a mirror for `config` and resolves once it listens. */
export async function startMirror(config: CordonConfig, options: MirrorOptions = {}): Promise<Mirror> {
  const logger = options.logger ?? verdaccioLogger(logSettings(config));
  const runtime = await assemble(config, { clock: options.clock, logger });
  let server: Server;
  try {
    server = (await runServer(verdaccioConfig(config, runtime.id) as never)) as unknown as Server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const graceful = gracefulServer(server);
  // A kill mid-download leaves a partial file; nothing else ever reads it.
  const partials = await runtime.blobs.removePartials();
  if (partials) logger.info({ files: partials }, 'cordon: removed partial tarball downloads left by the last stop');
  const pipeline = createPipeline(runtime, logger, { execute: options.execute });
  try {
    await pipeline.start();
  } catch (err) {
    server.close();
    await runtime.close();
    throw err;
  }
  const sweeper = startSweeper(runtime, logger, options.fetchPackument);
  const notifier = startNotifier(runtime);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host}:${address.port}/`,
    server,
    runtime,
    sweeper,
    pipeline,
    notifier,
    close() {
      closing ??= (async () => {
        runtime.ops.beginStop();
        const drained = graceful.close(config.shutdownTimeoutMs);
        await Promise.all([sweeper.stop(), pipeline.stop(), notifier.stop()]);
        const { forced } = await drained;
        if (forced)
          logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'cordon: requests still in flight at the shutdown timeout were cut');
        await runtime.close();
      })();
      return closing;
    },
  };
}
