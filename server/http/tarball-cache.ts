/**
 * Serves a visible version's tarball straight from Verdaccio's storage folder once Verdaccio has cached
 * it, and only if its bytes match the integrity Cordon released. Verdaccio would otherwise re-read and
 * re-filter the whole packument for every tarball request when a filter plugin is loaded (about 100×
 * slower for a package with thousands of versions); and this way a tampered cache is never served.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Request, Response } from 'express';
import { matchesIntegrity } from '../policy/manifest';

export type CachedTarballResult = 'served' | 'not-cached' | 'mismatch';

export class TarballCache {
  /** Files already checked, by path: `size:mtime:integrity`, so each file is hashed once. */
  private readonly verified = new Map<string, string>();

  constructor(private readonly storageDir: string) {}

  /** Sends the cached tarball of a visible version if Verdaccio has it and it matches `integrity`. */
  async serve(name: string, filename: string, integrity: string, req: Request, res: Response): Promise<CachedTarballResult> {
    if (!/^[^/\\]+$/.test(filename) || filename === '.' || filename === '..') return 'not-cached';
    const root = resolve(this.storageDir);
    const file = resolve(join(root, name, filename));
    if (!file.startsWith(root + sep)) return 'not-cached';
    let info;
    try {
      info = await stat(file);
    } catch {
      return 'not-cached';
    }
    if (!info.isFile()) return 'not-cached';
    const key = `${info.size}:${info.mtimeMs}:${integrity}`;
    if (this.verified.get(file) !== key) {
      const bytes = await readFile(file);
      if (!matchesIntegrity(bytes, integrity)) return 'mismatch';
      if (this.verified.size > 100_000) this.verified.clear();
      this.verified.set(file, key);
    }
    res.status(200);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', info.size);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    if (req.method === 'HEAD') {
      res.end();
      return 'served';
    }
    await new Promise<void>((done, fail) => {
      const stream = createReadStream(file);
      stream.on('error', fail);
      res.on('close', () => done());
      stream.pipe(res);
    });
    return 'served';
  }
}
