import { CordonError } from '../errors';

/** Why a tarball could not be read; every code means "do not trust a partial result". */
export type TarballErrorCode =
  | 'TARBALL_CORRUPT'
  | 'TARBALL_TRUNCATED'
  | 'TARBALL_TOO_LARGE'
  | 'TARBALL_TOO_MANY_FILES'
  | 'TARBALL_FILE_TOO_LARGE'
  | 'TARBALL_TOO_DEEP';

/** Raised by the tarball reader; the CLI maps every code to exit status 2. */
export class TarballError extends CordonError<TarballErrorCode> {}
