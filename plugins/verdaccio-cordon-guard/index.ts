/**
 * Verdaccio middleware plugin: the tarball guard, read-only protection, listing filters and the
 * /-/cordon/ API. Load it by id `cordon-guard` under `middlewares:` (see README).
 */
import type { Application, Request } from 'express';
import type { Logger } from '../../server/logger';
import { cordonRouter } from '../../server/http/router';
import type { MayAccess } from '../../server/http/guard';
import { HttpError, sendError } from '../../server/http/http-error';
import { runtimeForPlugin, type CordonRuntime, type PluginSettings } from '../../server/runtime';
import { startSweeper } from '../../server/sweeper/sweeper';
import { createPipeline } from '../../server/pipeline';
import { startNotifier } from '../../server/notify/start-notifier';

/** The slice of Verdaccio's auth the guard uses before serving a cached tarball itself. */
interface VerdaccioAuth {
  allow_access(pkg: { packageName: string }, user: unknown, callback: (err: unknown, allowed?: boolean) => void): void;
}

/** The slice of Verdaccio's storage the guard uses to classify a package on first sight. */
interface VerdaccioStorage {
  getPackage(options: { name: string; uplinksLook: boolean; req: Request; callback: (err: { status?: number; message?: string } | null) => void }): void;
}

export default class CordonGuardPlugin {
  private readonly runtime: CordonRuntime | null = null;
  private readonly startError: Error | null = null;

  constructor(
    settings: PluginSettings,
    options: { logger: Logger },
  ) {
    try {
      this.runtime = runtimeForPlugin(settings, options.logger);
      if (this.runtime.ownedByPlugins) {
        // In a stock Verdaccio nobody else runs the sweeper and the analyses: the guard does.
        const sweeper = startSweeper(this.runtime, options.logger);
        void this.runtime.blobs.removePartials();
        const pipeline = createPipeline(this.runtime, options.logger);
        pipeline.start().catch((err: unknown) => options.logger.error({ err: (err as Error).message }, 'cordon: the analysis pipeline cannot start; new versions stay hidden'));
        const notifier = startNotifier(this.runtime);
        this.runtime.onClose(() => {
          void sweeper.stop();
          void pipeline.stop();
          void notifier.stop();
        });
      }
    } catch (err) {
      this.startError = err as Error;
      options.logger.error({ err: (err as Error).message }, 'cordon: the guard cannot start; every tarball is refused until this is fixed');
    }
  }

  register_middlewares(app: Application, auth: VerdaccioAuth, storage: VerdaccioStorage): void {
    const runtime = this.runtime;
    if (!runtime) {
      const message = `Cordon cannot start (${this.startError?.message}), so nothing is served. The operator must fix the mirror's configuration.`;
      app.use((_req, res) => sendError(res, new HttpError('UNAVAILABLE', message)));
      return;
    }
    const classify = (name: string, req: Request): Promise<void> =>
      new Promise((resolve, reject) => {
        storage.getPackage({
          name,
          uplinksLook: true,
          req,
          callback: (err) => (err && err.status !== 404 ? reject(new Error(err.message ?? `upstream answered ${err.status}`)) : resolve()),
        });
      });
    // Cordon's lines go through the runtime's logger: Verdaccio's under `npm start`, or whatever a test gave it.
    app.use(cordonRouter(runtime, classify, runtime.logger, this.mayAccess(auth)));
  }

  /** Verdaccio's own access check, which the guard applies before serving a tarball from the verified store. */
  private mayAccess(auth: VerdaccioAuth): MayAccess | undefined {
    if (!auth?.allow_access) return undefined;
    return (name, req) =>
      new Promise((done) => {
        auth.allow_access({ packageName: name }, (req as Request & { remote_user?: unknown }).remote_user, (err, allowed) => done(!err && allowed === true));
      });
  }
}
