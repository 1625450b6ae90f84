/**
 * Routes for operators: `/-/cordon/health/live` (the process answers), `/-/cordon/health/ready` (each
 * readiness check, 503 while one fails or the mirror is stopping) and `/-/cordon/metrics` (Prometheus text).
 */
import type { RequestHandler } from 'express';
import type { CordonRuntime } from '../assemble';

/** The handlers by exact path (GET and HEAD). */
export function opsRoutes(runtime: Pick<CordonRuntime, 'ops'>): ReadonlyMap<string, RequestHandler> {
  const { ops } = runtime;
  const started = Date.now();
  return new Map<string, RequestHandler>([
    [
      '/-/cordon/health/live',
      (_req, res) => {
        res
          .set('Cache-Control', 'no-store')
          .json({ status: 'live', pid: process.pid, uptimeSeconds: Math.round((Date.now() - started) / 1000) });
      },
    ],
    [
      '/-/cordon/health/ready',
      (_req, res, next) => {
        ops.readiness.check().then((result) => {
          res
            .status(result.ready ? 200 : 503)
            .set('Cache-Control', 'no-store')
            .json({ status: result.ready ? 'ready' : 'not-ready', checks: result.checks });
        }, next);
      },
    ],
    [
      '/-/cordon/metrics',
      (_req, res, next) => {
        ops.metrics.text().then((text) => {
          // Exactly prom-client's content type (express would add its own charset parameter first).
          res.status(200).setHeader('Cache-Control', 'no-store');
          res.setHeader('Content-Type', ops.metrics.contentType);
          res.end(text);
        }, next);
      },
    ],
  ]);
}
