/**
 * A request id for every request: the caller's `X-Request-Id` when it is a plain token (a load balancer's),
 * else a new UUID. It is echoed in the answer, put on Verdaccio's request logger (so Verdaccio's own line
 * for the request carries it; Verdaccio 6 assigns none itself) and on Cordon's lines about the request.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logger';

const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;

type WithId = Request & { cordonRequestId?: string; log?: { child?(bindings: Record<string, unknown>): unknown } };

/** The id given to `req`, if the middleware ran. */
export function requestIdOf(req: Request): string | undefined {
  return (req as WithId).cordonRequestId;
}

/** Middleware assigning the request id; mount it first. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const r = req as WithId;
    if (!r.cordonRequestId) {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && TOKEN.test(incoming) ? incoming : randomUUID();
      r.cordonRequestId = id;
      res.setHeader('X-Request-Id', id);
      if (typeof r.log?.child === 'function') r.log = r.log.child({ reqId: id }) as WithId['log'];
    }
    next();
  };
}

/** `logger` with the request's id added to every line. */
export function requestLogger(logger: Logger, req: Request): Logger {
  const reqId = requestIdOf(req);
  if (!reqId) return logger;
  return {
    info: (fields, message) => logger.info({ reqId, ...fields }, message),
    warn: (fields, message) => logger.warn({ reqId, ...fields }, message),
    error: (fields, message) => logger.error({ reqId, ...fields }, message),
  };
}
