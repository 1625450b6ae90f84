import { CordonError } from '../errors';

/** Why verified bytes could not be had. Only the upstream and store faults may succeed on a later try. */
export type BlobErrorCode =
  /** Upstream's bytes do not match the pinned digest (or differ from bytes verified before). */
  | 'DIGEST_MISMATCH'
  /** The tarball is larger than `maxTarballSize`. */
  | 'TOO_LARGE'
  | 'UPSTREAM_NOT_FOUND'
  | 'UPSTREAM_HTTP_ERROR'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_TIMEOUT'
  /** Upstream answered 200 with something that is no tarball at all (an error page from a proxy): a glitch, not other bytes. */
  | 'UPSTREAM_BAD_RESPONSE'
  /** The verified store could not be written (a full or read-only disk). */
  | 'STORE_FAILED';

export class BlobError extends CordonError<BlobErrorCode> {
  /** True when trying again later may succeed. */
  get transient(): boolean {
    return (
      this.code === 'UPSTREAM_HTTP_ERROR' ||
      this.code === 'UPSTREAM_UNREACHABLE' ||
      this.code === 'UPSTREAM_TIMEOUT' ||
      this.code === 'UPSTREAM_BAD_RESPONSE' ||
      this.code === 'STORE_FAILED'
    );
  }
}
