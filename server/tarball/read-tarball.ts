import { TarballError } from './errors';
import { gunzipBounded, isGzip } from './gunzip';
import { DEFAULT_TARBALL_LIMITS, type TarballLimits } from './limits';
import { parseTar } from './tar-parse';

/** A regular file of the package, its path relative to the package root ("lib/index.js"). */
export interface TarballFile {
  readonly path: string;
  /** A view into the unpacked stream: no copy per file. */
  readonly bytes: Uint8Array;
  readonly mode: number;
}

/** An entry that was reported instead of being followed or unpacked. */
export interface TarballAnomaly {
  readonly kind: 'symlink' | 'hardlink' | 'path-traversal' | 'absolute-path' | 'special-file' | 'unknown-entry' | 'duplicate-path';
  /** The path as written in the tarball. */
  readonly path: string;
  /** Link target, for links. */
  readonly target?: string;
}

/** What a tarball holds: its regular files and every entry that was refused. */
export interface TarballContents {
  readonly files: TarballFile[];
  readonly anomalies: TarballAnomaly[];
  /** Sum of the file sizes, in bytes. */
  readonly unpackedBytes: number;
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path);
}

/**
 * Reads an npm tarball (.tgz, or plain tar) entirely in memory. Like npm, the first path
 * segment ("package/") is stripped; links, traversal and absolute paths are returned as
 * anomalies and never become files. Throws `TarballError` when the stream is damaged or
 * exceeds `limits`.
 */
export function readTarball(bytes: Uint8Array, limits: TarballLimits = DEFAULT_TARBALL_LIMITS): TarballContents {
  if (bytes.length === 0) throw new TarballError('TARBALL_CORRUPT', 'the tarball is empty');
  const tar = isGzip(bytes) ? gunzipBounded(bytes, limits) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const byPath = new Map<string, TarballFile>();
  const anomalies: TarballAnomaly[] = [];
  let total = 0;
  for (const entry of parseTar(tar, limits)) {
    if (isAbsolute(entry.path)) {
      anomalies.push({ kind: 'absolute-path', path: entry.path });
      continue;
    }
    // npm splits on "/" only on Linux and on both on Windows: a backslash makes the layout depend on the OS.
    if (entry.path.includes('\\')) throw new TarballError('TARBALL_CORRUPT', `the entry ${JSON.stringify(entry.path.slice(0, 120))} has a backslash in its path; npm lays it out differently on Windows and elsewhere`);
    const segments = entry.path.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.includes('..')) {
      anomalies.push({ kind: 'path-traversal', path: entry.path });
      continue;
    }
    const inner = segments.slice(1);
    if (inner.length > limits.maxDepth) {
      throw new TarballError('TARBALL_TOO_DEEP', `a path is nested deeper than ${limits.maxDepth} levels`);
    }
    const path = inner.join('/');
    switch (entry.kind) {
      case 'dir':
        continue;
      case 'symlink':
      case 'hardlink':
        anomalies.push({ kind: entry.kind, path: path || entry.path, target: entry.linkname });
        continue;
      case 'special':
        anomalies.push({ kind: 'special-file', path: path || entry.path });
        continue;
      case 'unknown':
        anomalies.push({ kind: 'unknown-entry', path: path || entry.path });
        continue;
      case 'file':
        break;
    }
    if (path === '') continue;
    if (entry.data.length > limits.maxFileBytes) {
      throw new TarballError('TARBALL_FILE_TOO_LARGE', `${path} is larger than ${limits.maxFileBytes} bytes`);
    }
    total += entry.data.length;
    if (total > limits.maxTotalBytes) {
      throw new TarballError('TARBALL_TOO_LARGE', `the tarball unpacks to more than ${limits.maxTotalBytes} bytes`);
    }
    const previous = byPath.get(path);
    if (previous) {
      // tar extraction lets the last entry win; the shadowed one may have been what a reviewer saw
      anomalies.push({ kind: 'duplicate-path', path });
      total -= previous.bytes.length;
      byPath.delete(path);
    }
    byPath.set(path, { path, bytes: entry.data, mode: entry.mode });
  }
  return { files: [...byPath.values()], anomalies, unpackedBytes: total };
}
