/** Everything Cordon adds in front of Verdaccio's routes, in the order it must run. */
import { Router } from 'express';
import type { CordonRuntime } from '../assemble';
import type { Logger } from '../logger';
import { errorMiddleware, HttpError, sendError } from './http-error';
import { tarballGuard, type Classify, type MayAccess } from './guard';
import { TarballServer } from '../blobs/tarball-server';
import { nextVisibilityChange, packumentCache } from './packument-cache';
import { packumentNotice } from './packument-notice';
import { hideInListings } from './listings';
import { readOnly } from './read-only';
import { statusApi } from './status-api';
import { approvalsApi } from './approvals-api';
import { policyApi } from './policy-api';
import { passkeysApi } from './passkeys-api';
import { reviewApi } from './review-api';
import { pagesRouter } from './pages';
import { securityHeaders } from './security-headers';
import { requestContext } from './request-context';

/** Builds Cordon's routes over the runtime; each part gets only the slice it uses. */
export function cordonRouter(runtime: CordonRuntime, classify: Classify, logger: Logger, mayAccess?: MayAccess): Router {
  const router = Router();
  const tarballs = new TarballServer({
    blobs: runtime.blobs,
    upstream: runtime.config.upstream,
    recordBlob: (record, sha512) => runtime.store.versions.recordBlob(record.package, record.version, record.integrity!, sha512),
    blockMismatch: (record, detail) => runtime.quarantine.blockChangedBytes(record.package, record.version, runtime.clock.now(), detail),
    logger,
  });
  router.use(requestContext(runtime));
  router.use('/-/cordon', securityHeaders());
  router.use('/-/cordon/api/v1/approvals', approvalsApi(runtime, logger));
  router.use('/-/cordon/api/v1/policy', policyApi(runtime));
  router.use('/-/cordon/api/v1/passkeys', passkeysApi(runtime, logger));
  router.use('/-/cordon/api/v1/review', reviewApi(runtime));
  router.use('/-/cordon/api/v1', statusApi(runtime));
  router.use('/-/cordon', pagesRouter(runtime.config));
  // Everything under /-/cordon is Cordon's: what no route above took must not fall through to Verdaccio.
  router.use('/-/cordon', (req, res) =>
    sendError(res, new HttpError('NOT_FOUND', `No Cordon page or API at ${req.method} ${req.path}. See README for the routes.`)),
  );
  router.use('/-/cordon', errorMiddleware(logger));
  router.use(readOnly(runtime.config));
  router.use(hideInListings(runtime.quarantine, runtime.clock, logger));
  router.use(tarballGuard(runtime, classify, logger, tarballs, mayAccess));
  router.use(
    packumentNotice(
      { quarantine: runtime.quarantine, clock: runtime.clock, config: runtime.config, changes: runtime.store.changes },
      logger,
    ),
  );
  // The cache may be as stale as Verdaccio's own copy of upstream is allowed to be, and never more than 30s.
  const maxAgeMs = Math.min(30_000, runtime.config.upstreamMaxAgeMs);
  if (maxAgeMs > 0)
    router.use(
      packumentCache({
        maxAgeMs,
        changes: runtime.store.changes,
        nextChange: async (name, now) => nextVisibilityChange(await runtime.quarantine.decisions(name, now), now),
        clock: runtime.clock,
        logger,
      }),
    );
  return router;
}
