/** Everything Cordon adds in front of Verdaccio's routes, in the order it must run. */
import { Router } from 'express';
import type { CordonRuntime } from '../runtime';
import type { Logger } from '../logger';
import { errorMiddleware } from './http-error';
import { tarballGuard, type Classify, type DirectTarballs } from './guard';
import { nextVisibilityChange, packumentCache } from './packument-cache';
import { hideInListings } from './listings';
import { readOnly } from './read-only';
import { statusApi } from './status-api';
import { approvalsApi } from './approvals-api';
import { requestContext } from './request-context';

export function cordonRouter(runtime: CordonRuntime, classify: Classify, logger: Logger, direct?: DirectTarballs): Router {
  const router = Router();
  router.use(requestContext(runtime));
  router.use('/-/cordon/api/v1/approvals', approvalsApi(runtime, logger));
  router.use('/-/cordon/api/v1', statusApi(runtime));
  router.use('/-/cordon', errorMiddleware(logger));
  router.use(readOnly(runtime.config));
  router.use(hideInListings(runtime.quarantine, runtime.clock, logger));
  router.use(tarballGuard(runtime, classify, logger, direct));
  // The cache may be as stale as Verdaccio's own copy of upstream is allowed to be, and never more than 30s.
  const maxAgeMs = Math.min(30_000, runtime.config.upstreamMaxAgeMs);
  if (maxAgeMs > 0) router.use(
    packumentCache({
      maxAgeMs,
      generation: (name) => runtime.store.generation(name),
      nextChange: (name, now) => nextVisibilityChange(runtime.quarantine.decisions(name, now), now),
      clock: runtime.clock,
      logger,
    }),
  );
  return router;
}
