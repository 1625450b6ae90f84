/** One error type for Cordon's HTTP answers and one middleware that turns it (or anything) into `{ error, code }`. */
import type { ErrorRequestHandler, Response } from 'express';
import { CordonError } from '../errors';
import type { Logger } from '../logger';
import { requestLogger } from './request-id';

export type HttpErrorCode = 'BAD_REQUEST' | 'BAD_URL' | 'FORBIDDEN' | 'NOT_FOUND' | 'READ_ONLY' | 'REGISTRATION_DISABLED' | 'INTEGRITY_MISMATCH' | 'BAD_GATEWAY' | 'UNAVAILABLE' | 'INTERNAL';

const STATUS: Record<HttpErrorCode, number> = {
  BAD_REQUEST: 400,
  BAD_URL: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  READ_ONLY: 403,
  REGISTRATION_DISABLED: 403,
  INTEGRITY_MISMATCH: 502,
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** An error with a code that maps to an HTTP status; its message is shown to the client. */
export class HttpError extends CordonError<HttpErrorCode> {
  get status(): number {
    return STATUS[this.code];
  }
}

/** A Cordon error that knows its HTTP status (HttpError, ApprovalError). */
type StatusError = CordonError & { readonly status: number };

const hasStatus = (err: unknown): err is StatusError => err instanceof CordonError && typeof (err as { status?: unknown }).status === 'number';

/** Sends `{ error, code, ...extra }` with the status for `code`. */
export function sendError(res: Response, err: StatusError, extra: Record<string, unknown> = {}): void {
  // A refusal for load (429, 503) says when to come back.
  const retry = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retry === 'number') res.set('Retry-After', String(retry));
  res.status(err.status).set('Cache-Control', 'no-store').json({ error: err.message, code: err.code, ...extra });
}

/**
 * Error middleware for Cordon's own routes: errors that know their status keep their code, a body
 * that does not parse is a 400, anything else is a 500 without internals.
 */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (hasStatus(err)) return sendError(res, err);
    const type = (err as { type?: unknown })?.type;
    if (type === 'entity.parse.failed' || type === 'entity.too.large') {
      return sendError(res, new HttpError('BAD_REQUEST', 'The request body must be JSON within the size limit (see README for each route).'));
    }
    requestLogger(logger, req).error({ err: (err as Error)?.message, url: req.originalUrl }, 'cordon: request failed');
    return sendError(res, new HttpError('INTERNAL', 'Cordon failed to answer this request; the error is in the server log. Try again, and report it if it persists.'));
  };
}
