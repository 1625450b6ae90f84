/**
 * Verdaccio middleware plugin: the tarball guard, read-only protection, listing filters and the
 * /-/cordon/ API. Load it by id `cordon-guard` under `middlewares:` (see README).
 */
import type { Application, NextFunction, Request, Response, Router } from 'express';
import type { Logger } from '../../server/logger';
import { cordonRouter } from '../../server/http/router';
import type { MayAccess } from '../../server/http/guard';
import { HttpError, sendError } from '../../server/http/http-error';
import { pluginRuntime, type CordonRuntime, type PluginSettings } from '../../server/assemble';
import { startSweeper } from '../../server/sweeper/sweeper';
import { createPipeline } from '../../server/pipeline';
import { startNotifier } from '../../server/notify/start-notifier';

/** The slice of Verdaccio's auth the guard uses before serving a cached tarball itself. */
interface VerdaccioAuth {
  allow_access(pkg: { packageName: string }, user: unknown, callback: (err: unknown, allowed?: boolean) => void): void;
}

/** The slice of Verdaccio's storage the guard uses to classify a package on first sight. */
interface VerdaccioStorage {
  getPackage(options: {
    name: string;
    uplinksLook: boolean;
    req: Request;
    callback: (err: { status?: number; message?: string } | null) => void;
  }): void;
}

export default class CordonGuardPlugin {
  /** The runtime once assembled, or the error that stopped it (then nothing is served). */
  private readonly runtime: Promise<CordonRuntime | Error>;

  constructor(settings: PluginSettings, options: { logger: Logger }) {
    this.runtime = pluginRuntime(settings, options.logger).then(
      (runtime) => {
        if (runtime.ownedByPlugins) ownBackground(runtime, options.logger);
        return runtime;
      },
      (err: unknown) => {
        options.logger.error(
          { err: (err as Error)?.message },
          'cordon: the guard cannot start; every tarball is refused until this is fixed',
        );
        return err instanceof Error ? err : new Error(String(err));
      },
    );
  }

  register_middlewares(app: Application, auth: VerdaccioAuth, storage: VerdaccioStorage): void {
    // Verdaccio registers middlewares synchronously; the runtime may still be opening its store. Until
    // it is ready, requests wait for it; if it cannot be built, nothing is served.
    let ready: Router | Error | null = null;
    const routes: Promise<Router | Error> = this.runtime.then(
      (runtime) => (ready = runtime instanceof Error ? runtime : this.routes(runtime, auth, storage)),
    );
    const dispatch = (router: Router | Error, req: Request, res: Response, next: NextFunction): void => {
      if (!(router instanceof Error)) {
        router(req, res, next);
        return;
      }
      sendError(
        res,
        new HttpError(
          'UNAVAILABLE',
          `Cordon cannot start (${router.message}), so nothing is served. The operator must fix the mirror's configuration.`,
        ),
      );
    };
    app.use((req, res, next) => {
      // Once ready, synchronously: a request body must reach the routes' parsers untouched.
      if (ready) return dispatch(ready, req, res, next);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        // A body read a turn later may have lost bytes: a write is refused (503) until the mirror has started.
        const starting = new HttpError(
          'UNAVAILABLE',
          'Cordon is still starting (opening its store). Send this request again in a few seconds.',
        );
        return sendError(res, Object.assign(starting, { retryAfterSeconds: 2 }));
      }
      routes.then(
        (router) => dispatch(router, req, res, next),
        (err: unknown) => next(err),
      );
    });
  }

  private routes(runtime: CordonRuntime, auth: VerdaccioAuth, storage: VerdaccioStorage): Router {
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
    return cordonRouter(runtime, classify, runtime.logger, this.mayAccess(auth));
  }

  /** Verdaccio's own access check, which the guard applies before serving a tarball from the verified store. */
  private mayAccess(auth: VerdaccioAuth): MayAccess | undefined {
    if (!auth?.allow_access) return undefined;
    return (name, req) =>
      new Promise((done) => {
        auth.allow_access({ packageName: name }, (req as Request & { remote_user?: unknown }).remote_user, (err, allowed) =>
          done(!err && allowed === true),
        );
      });
  }
}

/** In a stock Verdaccio nobody else runs the sweeper, the analyses and the notifier: the guard does. */
function ownBackground(runtime: CordonRuntime, logger: Logger): void {
  const sweeper = startSweeper(runtime, logger);
  void runtime.blobs.removePartials().catch(() => undefined);
  const pipeline = createPipeline(runtime, logger);
  pipeline
    .start()
    .catch((err: unknown) =>
      logger.error({ err: (err as Error).message }, 'cordon: the analysis pipeline cannot start; new versions stay hidden'),
    );
  const notifier = startNotifier(runtime);
  runtime.onClose(async () => {
    await Promise.all([sweeper.stop(), pipeline.stop(), notifier.stop()]);
  });
}
