/** Starts and stops one Cordon mirror: the runtime, Verdaccio with both plugins, and the sweeper. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runServer } from 'verdaccio';
import type { CordonConfig } from './config';
import type { Clock } from './clock';
import { consoleLogger, type Logger } from './logger';
import { createRuntime, type CordonRuntime } from './runtime';
import { startSweeper, type FetchPackument, type Sweeper } from './sweeper/sweeper';
import { createPipeline, type Runner } from './pipeline';
import type { Execute } from './pipeline/embedded-runner';
import { verdaccioConfig } from './verdaccio-config';

export interface Mirror {
  /** Base URL clients put in `.npmrc`, ending in `/`. */
  readonly url: string;
  readonly server: Server;
  readonly runtime: CordonRuntime;
  readonly sweeper: Sweeper;
  /** The analysis queue runner (embedded, or BullMQ when REDIS_URL is set). */
  readonly pipeline: Runner;
  close(): Promise<void>;
}

export interface MirrorOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Replaces the sweeper's upstream reader (tests). */
  readonly fetchPackument?: FetchPackument;
  /** Replaces the embedded runner's worker threads (tests). */
  readonly execute?: Execute;
}

let instances = 0;

/** Starts a mirror for `config` and resolves once it listens. */
export async function startMirror(config: CordonConfig, options: MirrorOptions = {}): Promise<Mirror> {
  const logger = options.logger ?? consoleLogger;
  const runtime = createRuntime(config, { clock: options.clock, id: `cordon-mirror-${process.pid}-${++instances}` });
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
    runtime.close();
    throw err;
  }
  // A kill mid-download leaves a partial file; nothing else ever reads it.
  const partials = await runtime.blobs.removePartials();
  if (partials) logger.info({ files: partials }, 'cordon: removed partial tarball downloads left by the last stop');
  const pipeline = createPipeline(runtime, logger, { execute: options.execute });
  try {
    await pipeline.start();
  } catch (err) {
    server.close();
    runtime.close();
    throw err;
  }
  const sweeper = startSweeper(runtime, logger, options.fetchPackument);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host}:${address.port}/`,
    server,
    runtime,
    sweeper,
    pipeline,
    async close() {
      await sweeper.stop();
      await pipeline.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      runtime.close();
    },
  };
}
