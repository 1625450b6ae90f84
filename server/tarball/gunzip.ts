import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { TarballError } from './errors';
import type { TarballLimits } from './limits';

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** True when `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Upper bound of the tar stream for `limits`: file bytes plus a header and padding per entry. */
export function maxTarBytes(limits: TarballLimits): number {
  const bound = limits.maxTotalBytes + limits.maxEntries * 1536 + 1024 * 1024;
  return Math.min(bound, bufferConstants.MAX_LENGTH);
}

/**
 * Inflates a gzip stream, refusing to produce more than the tar stream `limits` allow,
 * so a gzip bomb stops at the bound instead of exhausting memory.
 */
export function gunzipBounded(bytes: Uint8Array, limits: TarballLimits): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxTarBytes(limits) });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new TarballError('TARBALL_TOO_LARGE', `the tarball unpacks to more than ${limits.maxTotalBytes} bytes`, { cause: err });
    }
    if (code === 'Z_BUF_ERROR') {
      throw new TarballError('TARBALL_TRUNCATED', 'the gzip stream ends early: the tarball is truncated; download it again', {
        cause: err,
      });
    }
    throw new TarballError('TARBALL_CORRUPT', 'the gzip stream is corrupt; download the tarball again', { cause: err });
  }
}
