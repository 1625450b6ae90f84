/**
 * The content-addressed store of verified tarball bytes: one read-only file per sha512, written only
 * after the whole download matched the version's pinned digest, and checked again whenever it is read.
 * The mirror serves from it and the analysis reads from it, so the bytes reviewed are the bytes served.
 * Any number of processes (the mirror, its analysis threads, BullMQ workers on a shared volume) may use
 * one folder: files appear by atomic rename, and equal names mean equal bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pinned, type PinnedDigest } from '../policy/digest-pin';
import { downloadTo, type DownloadLimits } from './download';
import { BlobError } from './errors';

/** Where a version's bytes come from and what they must hash to. */
export interface BlobSource {
  /** Upstream tarball URL. */
  readonly url: string;
  /** The digest pinned at first sight. */
  readonly pin: PinnedDigest;
  /** The sha512 of bytes verified before (equal to `pin` when the pin is a sha512), or null. */
  readonly blob: PinnedDigest | null;
  /** For messages: `name@version`. */
  readonly label: string;
}

/** A blob in the store. */
export interface StoredBlob {
  readonly sha512: PinnedDigest;
  readonly size: number;
  readonly path: string;
}

export class BlobStore {
  private readonly inflight = new Map<string, Promise<StoredBlob>>();
  private readonly tmpDir: string;

  constructor(
    readonly root: string,
    readonly limits: DownloadLimits,
  ) {
    this.tmpDir = join(root, 'tmp');
  }

  /** Removes partial downloads a crash or kill left behind (call once, before serving). */
  async removePartials(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch {
      return 0;
    }
    await Promise.all(names.map((n) => rm(join(this.tmpDir, n), { force: true, recursive: true })));
    return names.length;
  }

  /** The file of a blob. */
  pathOf(sha512: PinnedDigest): string {
    const hex = Buffer.from(sha512.base64, 'base64').toString('hex');
    return join(this.root, 'sha512', hex.slice(0, 2), hex);
  }

  /** The blob's size when the store has it (unverified: reading verifies). */
  async has(sha512: PinnedDigest): Promise<StoredBlob | null> {
    const path = this.pathOf(sha512);
    try {
      const info = await stat(path);
      return info.isFile() ? { sha512, size: info.size, path } : null;
    } catch {
      return null;
    }
  }

  /**
   * The bytes of a blob, checked against its name; null when absent. A file whose bytes no longer match
   * (a bad disk, a hand edit) is deleted and reads as absent, so it is fetched again, never served.
   */
  async read(sha512: PinnedDigest): Promise<Buffer | null> {
    const path = this.pathOf(sha512);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return null;
    }
    if ((await sha512InSlices(bytes)) === sha512.base64) return bytes;
    await unlink(path).catch(() => undefined);
    return null;
  }

  /** Hashes a stored file without holding it in memory; deletes it and answers false when it does not match. */
  async verifyFile(sha512: PinnedDigest): Promise<boolean> {
    const path = this.pathOf(sha512);
    const hash = createHash('sha512');
    try {
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    } catch {
      return false;
    }
    if (hash.digest('base64') === sha512.base64) return true;
    await unlink(path).catch(() => undefined);
    return false;
  }

  /**
   * Makes sure the verified bytes of `source` are in the store, downloading them at most once at a time
   * per version (concurrent callers share the download). Throws BlobError; DIGEST_MISMATCH when upstream
   * sent other bytes than the pinned ones.
   */
  async ensure(source: BlobSource): Promise<StoredBlob> {
    if (source.blob) {
      const found = await this.has(source.blob);
      if (found) return found;
    }
    const key = source.pin.sri;
    let running = this.inflight.get(key);
    if (!running) {
      running = this.download(source).finally(() => this.inflight.delete(key));
      this.inflight.set(key, running);
    }
    return running;
  }

  /**
   * The verified bytes of `source`, from the store or downloaded into it. A stored file that fails its
   * check is removed and fetched once more. Throws BlobError.
   */
  async verifiedBytes(source: BlobSource): Promise<{ bytes: Buffer; sha512: PinnedDigest }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const stored = await this.ensure(source);
      const bytes = await this.read(stored.sha512);
      if (bytes) return { bytes, sha512: stored.sha512 };
    }
    throw new BlobError('STORE_FAILED', `the verified copy of ${source.label} could not be read back from ${this.root}`);
  }

  private async download(source: BlobSource): Promise<StoredBlob> {
    try {
      await mkdir(this.tmpDir, { recursive: true });
    } catch (err) {
      throw new BlobError('STORE_FAILED', `cannot create ${this.tmpDir}: ${(err as Error).message}`, { cause: err });
    }
    const tmp = join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const got = await downloadTo(source.url, tmp, source.pin, this.limits);
    if (!got.matches && !got.gzip) {
      // No tarball at all (a proxy's error page with 200, a captive portal): a glitch to retry, not other bytes.
      await unlink(tmp).catch(() => undefined);
      throw new BlobError(
        'UPSTREAM_BAD_RESPONSE',
        `${source.url} answered with something that is not a tarball (${got.size} bytes, not gzip); trying again later`,
      );
    }
    const other = !got.matches
      ? `its ${source.pin.algorithm} is not the pinned ${source.pin.sri}`
      : source.blob && got.sha512.sri !== source.blob.sri
        ? `its sha512 ${got.sha512.sri} differs from the bytes verified before (${source.blob.sri})`
        : null;
    if (other) {
      await unlink(tmp).catch(() => undefined);
      throw new BlobError('DIGEST_MISMATCH', `upstream sent other bytes for ${source.label} than the ones pinned: ${other}`);
    }
    const final = this.pathOf(got.sha512);
    try {
      await mkdir(join(final, '..'), { recursive: true });
      await chmod(tmp, 0o444);
      await rename(tmp, final);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new BlobError('STORE_FAILED', `cannot store the verified tarball of ${source.label}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return { sha512: got.sha512, size: got.size, path: final };
  }
}

/** sha512 (base64) of `bytes`, 1 MiB per turn of the event loop: checking a 60 MB tarball never holds the loop for long. */
async function sha512InSlices(bytes: Buffer): Promise<string> {
  const hash = createHash('sha512');
  const slice = 1024 * 1024;
  for (let at = 0; at < bytes.length; at += slice) {
    hash.update(bytes.subarray(at, at + slice));
    if (at + slice < bytes.length) await new Promise((resolve) => setImmediate(resolve));
  }
  return hash.digest('base64');
}

/** The sha512 named by a stored `blob` column, or null. */
export function blobDigest(blob: string | null): PinnedDigest | null {
  if (!blob?.startsWith('sha512-')) return null;
  const base64 = blob.slice('sha512-'.length);
  return Buffer.from(base64, 'base64').length === 64 ? pinned('sha512', base64) : null;
}
