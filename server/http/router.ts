/** Everything Cordon adds in front of Verdaccio's routes, in the order it must run. */
import { Router } from 'express';
import type { CordonRuntime } from '../runtime';
import type { Logger } from '../logger';
import { errorMiddleware } from './http-error';
import { tarballGuard, type Classify } from './guard';
import { hideInListings } from './listings';
import { readOnly } from './read-only';
import { statusApi } from './status-api';

export function cordonRouter(runtime: CordonRuntime, classify: Classify, logger: Logger): Router {
  const router = Router();
  router.use('/-/cordon/api/v1', statusApi(runtime));
  router.use('/-/cordon', errorMiddleware(logger));
  router.use(readOnly(runtime.config));
  router.use(hideInListings(runtime.quarantine, runtime.clock, logger));
  router.use(tarballGuard(runtime, classify, logger));
  return router;
}
