/**
 * One server of the mirror benchmark, run as a child process so it has a core of its own:
 * `cordon` (Verdaccio + both Cordon plugins, as `npm start` runs it) or `plain` (the same Verdaccio
 * configuration without `filters`/`middlewares`), or `cordon-pg` (as `cordon`, with the store on the
 * PostgreSQL database named by the fifth argument, as CORDON_DATABASE_URL selects it). Reports its URL
 * over IPC; exits on "stop".
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runServer } from 'verdaccio';
import { loadConfig, type CordonConfig } from '../server/config';
import { ManualClock } from '../server/clock';
import { silentLogger } from '../server/logger';
import { startMirror } from '../server/mirror';
import { verdaccioConfig } from '../server/verdaccio-config';
import { nextVisibilityChange, packumentCache } from '../server/http/packument-cache';

export type ServerKind = 'cordon' | 'plain' | 'cordon-cached' | 'cordon-pg';

/** Message the child sends once it listens. */
export interface ReadyMessage {
  readonly url: string;
}

async function startPlain(config: CordonConfig): Promise<{ url: string; close(): Promise<void> }> {
  const { filters: _filters, middlewares: _middlewares, ...rest } = verdaccioConfig(config, 'bench-plain');
  const server = (await runServer(rest as never)) as unknown as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Express 4 internals, just enough to insert one middleware layer. */
interface Layer {
  regexp?: RegExp;
  handle: { stack?: Layer[] };
}
type ExpressApp = ((req: unknown, res: unknown) => void) & { _router: { stack: Layer[] }; use(fn: unknown): void };

/**
 * PROTOTYPE of the proposed wiring (bench only): puts server/http/packument-cache right after Cordon's
 * router in Verdaccio's middleware stack, where `router.use(packumentCache(...))` at the end of
 * cordonRouter would put it, keyed on the store's change generations.
 */
function addPackumentCache(mirror: Awaited<ReturnType<typeof startMirror>>): void {
  const app = mirror.server.listeners('request')[0] as ExpressApp;
  const stack = app._router.stack;
  const at = stack.findIndex((layer) => layer.handle.stack?.some((inner) => inner.regexp?.test('/-/cordon/api/v1/packages')));
  if (at < 0) throw new Error('cannot find the Cordon router in the Verdaccio app');
  const { runtime } = mirror;
  app.use(
    packumentCache({
      changes: runtime.store.changes,
      nextChange: async (name, now) => nextVisibilityChange(await runtime.quarantine.decisions(name, now), now),
      clock: runtime.clock,
      logger: silentLogger,
    }),
  );
  stack.splice(at + 1, 0, stack.pop()!);
}

async function main(): Promise<void> {
  const [kind, upstream, dataDir, now, databaseUrl] = process.argv.slice(2) as [ServerKind, string, string, string, string | undefined];
  if (kind === 'cordon-pg' && !databaseUrl) throw new Error('cordon-pg needs a postgres:// URL as its fifth argument');
  const env: Record<string, string> = {
    CORDON_UPSTREAM: upstream,
    CORDON_DATA_DIR: dataDir,
    CORDON_PORT: '0',
    CORDON_HOST: '127.0.0.1',
    CORDON_COOLDOWN: '72h',
    CORDON_LOG_LEVEL: 'fatal',
    CORDON_CONFIG: '',
  };
  if (kind === 'cordon-pg') env.CORDON_DATABASE_URL = databaseUrl!;
  const config = loadConfig(env, dataDir);
  const clock = new ManualClock(Number(now));
  let running: { url: string; close(): Promise<void> };
  if (kind === 'plain') running = await startPlain(config);
  else {
    const mirror = await startMirror(config, { clock, logger: silentLogger });
    if (kind === 'cordon-cached') addPackumentCache(mirror);
    running = mirror;
  }
  process.on('message', (message) => {
    if (message !== 'stop') return;
    // exit (not just close) so `--cpu-prof` writes its profile
    void running.close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ url: running.url } satisfies ReadyMessage);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench server failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
