/**
 * Downloads a tarball into a temporary file while hashing it, within a size and a time cap. The caller
 * decides what the digests mean; on any failure the temporary file is gone.
 */
import { open, unlink } from 'node:fs/promises';
import { DigestCheck, type PinnedDigest } from '../policy/digest-pin';
import { BlobError } from './errors';

export interface DownloadLimits {
  /** Largest tarball accepted, in bytes. */
  readonly maxBytes: number;
  /** Longest a whole download may take, in ms. */
  readonly timeoutMs: number;
}

export interface Downloaded {
  readonly size: number;
  readonly sha512: PinnedDigest;
  /** True when the bytes match the pin they were checked against. */
  readonly matches: boolean;
  /** True when the bytes start like a gzip stream, as every npm tarball does. */
  readonly gzip: boolean;
}

/** Streams `url` into `file` (created exclusively), checking the bytes against `pin` as they arrive. */
export async function downloadTo(url: string, file: string, pin: PinnedDigest, limits: DownloadLimits): Promise<Downloaded> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const handle = await open(file, 'wx', 0o600).catch((err: unknown) => {
    throw new BlobError('STORE_FAILED', `cannot create ${file}: ${(err as Error).message}`, { cause: err });
  });
  let ok = false;
  try {
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'application/octet-stream', 'user-agent': 'cordon' }, signal, redirect: 'follow' });
    } catch (err) {
      if (signal.aborted) throw new BlobError('UPSTREAM_TIMEOUT', `${url} did not answer within ${limits.timeoutMs} ms`, { cause: err });
      throw new BlobError('UPSTREAM_UNREACHABLE', `cannot reach ${url}: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel().catch(() => undefined);
      throw new BlobError('UPSTREAM_NOT_FOUND', `${url} answered ${res.status}`);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new BlobError('UPSTREAM_HTTP_ERROR', `${url} answered ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > limits.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new BlobError('TOO_LARGE', `${url} is ${declared} bytes, more than the ${limits.maxBytes} allowed (maxTarballSize)`);
    }
    const check = new DigestCheck(pin);
    let size = 0;
    let head = Buffer.alloc(0);
    try {
      for await (const chunk of res.body ?? []) {
        size += chunk.length;
        if (size > limits.maxBytes) {
          await res.body?.cancel().catch(() => undefined);
          throw new BlobError('TOO_LARGE', `${url} sent more than the ${limits.maxBytes} bytes allowed (maxTarballSize)`);
        }
        if (head.length < 2) head = Buffer.concat([head, Buffer.from(chunk.subarray(0, 2))]);
        check.update(chunk);
        await handle.write(chunk).catch((err: unknown) => {
          throw new BlobError('STORE_FAILED', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
        });
      }
    } catch (err) {
      if (err instanceof BlobError) throw err;
      if (signal.aborted) throw new BlobError('UPSTREAM_TIMEOUT', `${url} did not finish within ${limits.timeoutMs} ms`, { cause: err });
      throw new BlobError('UPSTREAM_UNREACHABLE', `the download of ${url} broke off: ${(err as Error).message}`, { cause: err });
    }
    await handle.sync().catch((err: unknown) => {
      throw new BlobError('STORE_FAILED', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
    });
    const { sha512, matches } = check.finish();
    ok = true;
    return { size, sha512, matches, gzip: head[0] === 0x1f && head[1] === 0x8b };
  } finally {
    await handle.close().catch(() => undefined);
    if (!ok) await unlink(file).catch(() => undefined);
  }
}
