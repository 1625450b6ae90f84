import { CordonError } from '../errors';

/** Why the upstream registry could not give us what we asked for. */
export type UpstreamErrorCode =
  | 'UPSTREAM_NOT_FOUND'
  | 'UPSTREAM_HTTP_ERROR'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_TOO_LARGE'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_BAD_RESPONSE';

/** Raised by the registry client; NOT_FOUND will not succeed on retry. */
export class UpstreamError extends CordonError<UpstreamErrorCode> {}
