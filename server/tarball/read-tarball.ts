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

function corrupt(message: string): never {
  throw new TarballError('TARBALL_CORRUPT', message);
}

/**
 * Reads an npm tarball (.tgz, or plain tar) entirely in memory and returns the files npm would
 * write, laid out as npm lays them out: node-tar with pacote's options strips the first path segment
 * whatever it is, then any leading "/", skips entries with ".." and links, writes only file entries,
 * and turns a `.gitignore` into `.npmignore`. Links, traversal, absolute paths and the like are also
 * returned as anomalies (for findings). Where npm's result would depend on the file system or the OS
 * (a path that is both a file and a folder, backslashes, drive letters) it refuses. Throws
 * `TarballError` when the stream is damaged or exceeds `limits`.
 */
export function readTarball(bytes: Uint8Array, limits: TarballLimits = DEFAULT_TARBALL_LIMITS): TarballContents {
  if (bytes.length === 0) throw new TarballError('TARBALL_CORRUPT', 'the tarball is empty');
  const tar = isGzip(bytes) ? gunzipBounded(bytes, limits) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const byPath = new Map<string, TarballFile>();
  const folders = new Set<string>();
  const anomalies: TarballAnomaly[] = [];
  const sawIgnores = new Set<string>();
  let total = 0;
  for (const entry of parseTar(tar, limits)) {
    // npm splits on "/" only on Linux and on both on Windows: a backslash makes the layout depend on the OS.
    if (entry.path.includes('\\'))
      corrupt(
        `the entry ${JSON.stringify(entry.path.slice(0, 120))} has a backslash in its path; npm lays it out differently on Windows and elsewhere`,
      );
    let full = entry.path;
    if (entry.kind === 'file') {
      // pacote's rule, from `npm pack` days: a .gitignore is written as .npmignore, unless one came first
      const base = full.slice(full.lastIndexOf('/') + 1);
      if (base === '.npmignore') sawIgnores.add(full);
      else if (base === '.gitignore') {
        const npmignore = full.replace(/\.gitignore$/, '.npmignore');
        if (sawIgnores.has(npmignore)) continue;
        full = npmignore;
      }
    }
    const parts = full.split('/');
    parts.shift(); // npm strips the first segment, whatever it is ("package", ".", "")
    if (parts.length > limits.maxDepth)
      throw new TarballError('TARBALL_TOO_DEEP', `a path is nested deeper than ${limits.maxDepth} levels`);
    const stripped = parts.join('/');
    if (/^\/*[A-Za-z]:/.test(stripped))
      corrupt(
        `the entry ${JSON.stringify(entry.path.slice(0, 120))} starts with a drive letter; npm lays it out differently on Windows and elsewhere`,
      );
    const relative = stripped.replace(/^\/+/, '');
    const shown = relative || entry.path;
    // npm writes it under the package all the same, but no packer makes such an entry: it is reported
    if (relative !== stripped || entry.path.startsWith('/')) anomalies.push({ kind: 'absolute-path', path: entry.path });
    const segments = relative.split('/');
    if (segments.includes('..')) {
      anomalies.push({ kind: 'path-traversal', path: entry.path });
      continue;
    }
    const path = segments.filter((s) => s !== '' && s !== '.').join('/');
    switch (entry.kind) {
      case 'dir':
        continue;
      case 'symlink':
      case 'hardlink':
        anomalies.push({ kind: entry.kind, path: path || shown, target: entry.linkname });
        continue;
      case 'special':
        anomalies.push({ kind: 'special-file', path: path || shown });
        continue;
      case 'unknown':
        anomalies.push({ kind: 'unknown-entry', path: path || shown });
        continue;
      case 'file':
        break;
    }
    if (path === '') continue;
    if (entry.data.length > limits.maxFileBytes) {
      throw new TarballError('TARBALL_FILE_TOO_LARGE', `${path} is larger than ${limits.maxFileBytes} bytes`);
    }
    // npm's result for a path that is a file and a folder depends on the order and the file system
    if (folders.has(path)) corrupt(`${path} is both a file and a folder in the tarball`);
    const ancestors = path
      .split('/')
      .slice(0, -1)
      .map((_, i, all) => all.slice(0, i + 1).join('/'));
    if (ancestors.some((a) => byPath.has(a))) corrupt(`${path} is inside a path that is also a file in the tarball`);
    for (const a of ancestors) folders.add(a);
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
