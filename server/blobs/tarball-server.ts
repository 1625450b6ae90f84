/**
 * Sends the tarball of a visible version from the verified store. No byte leaves before the whole
 * tarball has been checked against the version's pinned digest: a download is verified before it is
 * stored, a stored file is verified when it is read, and hot tarballs are kept in memory as verified.
 * Upstream bytes that do not match block the version; the client gets a 502 naming it, never a 200.
 */
import type { Request, Response } from 'express';
import { createReadStream } from 'node:fs';
import type { Logger } from '../logger';
import type { VersionRecord } from '../policy/version-state';
import { HttpError, sendError } from '../http/http-error';
import { BlobError } from './errors';
import type { BlobStore, StoredBlob } from './blob-store';
import { blobSource } from './sources';

export interface TarballServerDeps {
  readonly blobs: BlobStore;
  /** The upstream registry, for versions first seen before their tarball address was kept. */
  readonly upstream: string;
  /** Records the sha512 of a version's verified bytes; returns the one on record (first writer wins). */
  recordBlob(record: VersionRecord, sha512: string): Promise<string | null>;
  /** Blocks a version whose upstream bytes contradict its pin. */
  blockMismatch(record: VersionRecord, detail: string): Promise<unknown>;
  readonly logger: Logger;
  /** Bytes of verified tarballs kept in memory. Default 256 MiB. */
  readonly memoryBytes?: number;
}

/** Tarballs larger than this are streamed from disk after a verifying pass instead of held in memory. */
const IN_MEMORY_MAX = 16 * 1024 * 1024;

export class TarballServer {
  private readonly memory = new Map<string, Buffer>();
  private memoryUsed = 0;
  private readonly memoryMax: number;
  private readonly reading = new Map<string, Promise<Buffer | null>>();

  constructor(private readonly deps: TarballServerDeps) {
    this.memoryMax = deps.memoryBytes ?? 256 * 1024 * 1024;
  }

  /** Answers a GET or HEAD for the tarball of `record`, a version the caller found visible. */
  async serve(record: VersionRecord, req: Request, res: Response): Promise<void> {
    const id = `${record.package}@${record.version}`;
    const source = blobSource(record, this.deps.upstream);
    if (!source) {
      return sendError(
        res,
        new HttpError(
          'INTEGRITY_MISMATCH',
          `Cordon cannot serve ${id}: no single digest was pinned for its tarball, so its bytes cannot be verified. Install another version; tell the mirror's operator if you need this one.`,
        ),
        { package: record.package, version: record.version },
      );
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      let stored: StoredBlob;
      try {
        stored = await this.deps.blobs.ensure(source);
        if (!source.blob) {
          const onRecord = await this.deps.recordBlob(record, stored.sha512.sri);
          if (onRecord !== null && onRecord !== stored.sha512.sri)
            throw new BlobError(
              'DIGEST_MISMATCH',
              `upstream sent other bytes for ${id} than the ones verified before (${onRecord}), though both match its pinned ${source.pin.algorithm}`,
            );
        }
      } catch (err) {
        return this.refuse(record, err, res);
      }
      if (stored.size > IN_MEMORY_MAX) {
        if (!(await this.deps.blobs.verifyFile(stored.sha512))) continue;
        return this.stream(stored, req, res);
      }
      const bytes = await this.bytes(stored);
      if (!bytes) continue; // the stored file did not verify and is gone: fetch it again
      return this.send(bytes, stored, req, res);
    }
    return sendError(
      res,
      new HttpError(
        'UNAVAILABLE',
        `Cordon could not read a verified copy of ${id}'s tarball. Try again in a minute; if it persists, the mirror's disk needs attention.`,
      ),
      { package: record.package, version: record.version },
    );
  }

  /** Verified bytes of a stored blob: from memory, else read and checked (one read per blob at a time). */
  private async bytes(stored: StoredBlob): Promise<Buffer | null> {
    const key = stored.sha512.sri;
    const hit = this.memory.get(key);
    if (hit) {
      this.memory.delete(key);
      this.memory.set(key, hit);
      return hit;
    }
    let pending = this.reading.get(key);
    if (!pending) {
      pending = this.deps.blobs.read(stored.sha512).finally(() => this.reading.delete(key));
      this.reading.set(key, pending);
    }
    const bytes = await pending;
    if (bytes && !this.memory.has(key)) {
      this.memory.set(key, bytes);
      this.memoryUsed += bytes.length;
      for (const [oldest, buf] of this.memory) {
        if (this.memoryUsed <= this.memoryMax) break;
        this.memory.delete(oldest);
        this.memoryUsed -= buf.length;
      }
    }
    return bytes;
  }

  private headers(stored: StoredBlob, res: Response): void {
    res.status(200);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', stored.size);
    res.setHeader('ETag', `"${Buffer.from(stored.sha512.base64, 'base64').toString('hex').slice(0, 40)}"`);
    // Private: a version can be blocked later, and a shared cache would go on serving it.
    res.setHeader('Cache-Control', 'private, max-age=300');
  }

  private send(bytes: Buffer, stored: StoredBlob, req: Request, res: Response): void {
    this.headers(stored, res);
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  private async stream(stored: StoredBlob, req: Request, res: Response): Promise<void> {
    this.headers(stored, res);
    if (req.method === 'HEAD') return void res.end();
    await new Promise<void>((done) => {
      const stream = createReadStream(stored.path);
      stream.on('error', () => {
        res.destroy();
        done();
      });
      res.on('close', () => {
        stream.destroy();
        done();
      });
      stream.pipe(res);
    });
  }

  private async refuse(record: VersionRecord, err: unknown, res: Response): Promise<void> {
    const id = `${record.package}@${record.version}`;
    const extra = { package: record.package, version: record.version };
    if (!(err instanceof BlobError)) {
      this.deps.logger.error(
        { package: record.package, version: record.version, err: (err as Error)?.message },
        'cordon: cannot serve a tarball',
      );
      return sendError(
        res,
        new HttpError(
          'UNAVAILABLE',
          `Cordon cannot serve ${id} right now. Try again in a minute; if it persists, tell the mirror's operator.`,
        ),
        extra,
      );
    }
    switch (err.code) {
      case 'DIGEST_MISMATCH':
        this.deps.logger.error(
          { package: record.package, version: record.version, err: err.message },
          'cordon: upstream bytes contradict the pinned digest; blocking the version',
        );
        // Blocked before the refusal goes out; if the store cannot write it, the refusal still goes out (nothing is served).
        await this.deps
          .blockMismatch(record, err.message)
          .catch((blockErr: unknown) =>
            this.deps.logger.error(
              { package: record.package, version: record.version, err: (blockErr as Error)?.message },
              'cordon: cannot block a version whose bytes changed',
            ),
          );
        return sendError(
          res,
          new HttpError(
            'INTEGRITY_MISMATCH',
            `Cordon refuses ${id}: ${err.message}. The version is now blocked and will not be served; install another version and tell your security team.`,
          ),
          extra,
        );
      case 'TOO_LARGE':
        return sendError(
          res,
          new HttpError(
            'INTEGRITY_MISMATCH',
            `Cordon cannot serve ${id}: ${err.message}. Install another version, or ask the mirror's operator to raise maxTarballSize.`,
          ),
          extra,
        );
      case 'STORE_FAILED':
        return sendError(
          res,
          Object.assign(
            new HttpError(
              'UNAVAILABLE',
              `Cordon cannot store the verified tarball of ${id}, so it does not serve it (${err.message}). Try again later; the mirror's operator should free disk space.`,
            ),
            { retryAfterSeconds: 60 },
          ),
          extra,
        );
      case 'UPSTREAM_NOT_FOUND':
        return sendError(
          res,
          new HttpError(
            'BAD_GATEWAY',
            `Cordon cannot serve ${id}: the upstream registry no longer has its tarball (${err.message}). Install another version.`,
          ),
          extra,
        );
      default:
        return sendError(
          res,
          new HttpError(
            'UNAVAILABLE',
            `Cordon cannot fetch ${id} from the upstream registry right now (${err.message}). Try again in a minute.`,
          ),
          extra,
        );
    }
  }
}
