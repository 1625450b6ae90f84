/** Times packument, single-version and tarball requests for the latency histogram; one clock read and a label lookup per request. */
import type { RequestHandler } from 'express';
import type { CordonMetrics } from '../ops/metrics';
import { statusClass } from '../ops/metrics';
import { MALFORMED, parsePackagePath } from './request-path';

/** Middleware observing each registry read's time to its last byte (or to a broken connection: status `aborted`). */
export function requestMetrics(metrics: CordonMetrics): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const parsed = parsePackagePath(req.originalUrl ?? req.url);
    if (parsed === null || parsed === MALFORMED) return next();
    const started = performance.now();
    const kind = parsed.kind;
    res.once('close', () => {
      metrics.requestDuration.observe({ kind, status: res.writableFinished ? statusClass(res.statusCode) : 'aborted' }, (performance.now() - started) / 1000);
    });
    next();
  };
}
