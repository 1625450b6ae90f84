/**
 * Cordon's first middleware, in one Express layer (each layer costs a few µs on every request):
 * the request id on Verdaccio's request logger, latency timing of registry reads, and the operator
 * routes (health, metrics).
 */
import type { RequestHandler } from 'express';
import type { CordonRuntime } from '../assemble';
import { tagRequestLogger } from './request-id';
import { timeRequest } from './request-metrics';
import { opsRoutes } from './ops-routes';

/** Middleware to mount before every other Cordon route. */
export function requestContext(runtime: Pick<CordonRuntime, 'ops'>): RequestHandler {
  const routes = opsRoutes(runtime);
  const metrics = runtime.ops.metrics;
  return (req, res, next) => {
    tagRequestLogger(req, res);
    timeRequest(req, res, metrics);
    const url = req.url;
    if (url.startsWith('/-/cordon/') && (req.method === 'GET' || req.method === 'HEAD')) {
      const q = url.indexOf('?');
      const route = routes.get(q < 0 ? url : url.slice(0, q));
      if (route) return route(req, res, next);
    }
    return next();
  };
}
