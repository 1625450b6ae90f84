/** One error type for Cordon's HTTP answers and one middleware that turns it (or anything) into `{ error, code }`. */
import type { ErrorRequestHandler, Response } from 'express';
import { CordonError } from '../errors';
import type { Logger } from '../logger';
import { requestLogger } from './request-id';
import { isStoreUnavailable } from '../../storage';

export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_URL'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'READ_ONLY'
  | 'REGISTRATION_DISABLED'
  | 'INTEGRITY_MISMATCH'
  | 'BAD_GATEWAY'
  | 'UNAVAILABLE'
  | 'INTERNAL';

const STATUS: Record<HttpErrorCode, number> = {
  BAD_REQUEST: 400,
  BAD_URL: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
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

const hasStatus = (err: unknown): err is StatusError =>
  err instanceof CordonError && typeof (err as { status?: unknown }).status === 'number';

/** Sends `{ error, code, ...extra }` with the status for `code`. */
export function sendError(res: Response, err: StatusError, extra: Record<string, unknown> = {}): void {
  // A refusal for load (429, 503) says when to come back.
  const retry = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retry === 'number') res.set('Retry-After', String(retry));
  res
    .status(err.status)
    .set('Cache-Control', 'no-store')
    .json({ error: err.message, code: err.code, ...extra });
}

/**
 * What a client error raised by Express or its body parser (http-errors: a 4xx `status`) means for the
 * client: a URL that does not decode, a body that does not inflate or parse, is too large, or is in an
 * encoding or charset the route does not take. Null for anything else.
 */
export function clientError(err: unknown): HttpError | null {
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : null;
  if (status === null || status < 400 || status > 499) return null;
  if (status === 413 || e?.type === 'entity.too.large')
    return new HttpError(
      'PAYLOAD_TOO_LARGE',
      'The request body is larger than this route takes (see README for each route); send a smaller one.',
    );
  if (status === 415)
    return new HttpError(
      'UNSUPPORTED_MEDIA_TYPE',
      'The request body is in an encoding or charset this route does not take: send UTF-8 JSON, uncompressed or gzip/deflate.',
    );
  if (err instanceof URIError || /decode param/i.test(String(e?.message)))
    return new HttpError('BAD_URL', 'The URL is not valid percent-encoding. Fix the URL (encode a scoped name as @scope%2fname).');
  return new HttpError(
    'BAD_REQUEST',
    'The request body must be JSON within the size limit, and decompress cleanly if it says it is compressed (see README for each route).',
  );
}

/** The answer while the store is locked (another process holds a write lock) or read-only: nothing was changed; come back shortly. */
export function storeUnavailable(): HttpError & { retryAfterSeconds: number } {
  return Object.assign(
    new HttpError(
      'UNAVAILABLE',
      "Cordon's store is locked by another process or cannot be written right now, so nothing was read or changed. Try again in a few seconds; if it persists, the mirror's operator should check for a running backup, VACUUM or sqlite3 shell, and free disk space.",
    ),
    { retryAfterSeconds: 5 },
  );
}

/**
 * Error middleware for Cordon's own routes: errors that know their status keep their code, a client
 * error (bad URL encoding, a body that does not inflate or parse) is a 4xx, anything else is a 500
 * without internals.
 */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (hasStatus(err)) return sendError(res, err);
    const client = clientError(err);
    if (client) return sendError(res, client);
    if (isStoreUnavailable(err)) {
      logger.warn({ err: (err as Error)?.message, url: req.originalUrl }, 'cordon: the store is locked or read-only; request refused');
      return sendError(res, storeUnavailable());
    }
    requestLogger(logger, req).error({ err: (err as Error)?.message, url: req.originalUrl }, 'cordon: request failed');
    return sendError(
      res,
      new HttpError(
        'INTERNAL',
        'Cordon failed to answer this request; the error is in the server log. Try again, and report it if it persists.',
      ),
    );
  };
}
