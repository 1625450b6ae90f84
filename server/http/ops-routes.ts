/**
 * Routes for operators under `/-/cordon`: `health/live` (the process answers), `health/ready` (each
 * readiness check, 503 while one fails or the mirror is stopping) and `metrics` (Prometheus text).
 */
import { Router } from 'express';
import type { CordonRuntime } from '../runtime';

/** The router for `/-/cordon/health/*` and `/-/cordon/metrics`. */
export function opsRoutes(runtime: CordonRuntime): Router {
  const { ops } = runtime;
  const started = Date.now();
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'live', pid: process.pid, uptimeSeconds: Math.round((Date.now() - started) / 1000) });
  });
  router.get('/health/ready', (_req, res, next) => {
    ops.readiness.check().then((result) => {
      res.status(result.ready ? 200 : 503).set('Cache-Control', 'no-store').json({ status: result.ready ? 'ready' : 'not-ready', checks: result.checks });
    }, next);
  });
  router.get('/metrics', (_req, res, next) => {
    ops.metrics.text().then((text) => {
      // Exactly prom-client's content type (express would add its own charset parameter first).
      res.status(200).setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Type', ops.metrics.contentType);
      res.end(text);
    }, next);
  });
  return router;
}
