/**
 * The request id: the caller's `X-Request-Id` when it is a plain token (a load balancer's), else a new
 * UUID. It is made only when something is logged about the request — a refusal, an error, or every
 * request when the log level shows Verdaccio's request lines (Verdaccio 6 assigns no id itself) — so a
 * request nobody logs pays nothing; when made, it is sent back in `X-Request-Id` and written as `reqId`.
 */
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from '../logger';

const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;

type WithId = Request & {
  cordonRequestId?: string;
  log?: { child?(bindings: Record<string, unknown>): unknown; isLevelEnabled?(level: string): boolean };
};

/** The id of `req`, made (and sent back, if the answer has not started) on first use. */
export function requestIdOf(req: Request): string {
  const r = req as WithId;
  if (r.cordonRequestId) return r.cordonRequestId;
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && TOKEN.test(incoming) ? incoming : randomUUID();
  r.cordonRequestId = id;
  const res = req.res as Response | undefined;
  if (res && !res.headersSent) res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * At a log level that writes Verdaccio's request lines (`http` and below), gives the request its id now
 * and puts it on Verdaccio's request logger, so those lines carry it too. (A child logger costs ~20µs a
 * request in bench:mirror; at the default level nothing would use it.)
 */
export function tagRequestLogger(req: Request, res: Response): void {
  const r = req as WithId;
  if (typeof r.log?.child !== 'function' || r.log.isLevelEnabled?.('http') === false) return;
  if (!req.res) (req as { res?: Response }).res = res;
  r.log = r.log.child({ reqId: requestIdOf(req) }) as WithId['log'];
}

/** `logger` with the request's id added to every line. */
export function requestLogger(logger: Logger, req: Request): Logger {
  const reqId = requestIdOf(req);
  return {
    info: (fields, message) => logger.info({ reqId, ...fields }, message),
    warn: (fields, message) => logger.warn({ reqId, ...fields }, message),
    error: (fields, message) => logger.error({ reqId, ...fields }, message),
  };
}
