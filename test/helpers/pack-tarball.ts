/** Builds npm-style .tgz tarballs in memory from small file maps, for fixtures built during the test. */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** One tar entry; `content` defaults to empty, `type` to a regular file. */
export interface TarEntry {
  path: string;
  content?: string | Buffer;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  linkname?: string;
  mode?: number;
  /** Raw tar typeflag written instead of the one `type` implies (e.g. 'L', 'x', 'g', '3'); the content is kept. */
  typeflag?: string;
}

const TYPE_FLAG: Record<NonNullable<TarEntry['type']>, string> = { file: '0', dir: '5', symlink: '2', hardlink: '1' };

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  let name = entry.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100 && !entry.typeflag) {
    // ustar splits long paths at a slash into prefix (155) + name (100)
    const cut = name.lastIndexOf('/', name.length - 1 - 0);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  block.write(name, 0, 100, 'utf8');
  block.write(octal(entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644), 8), 100, 8, 'ascii');
  block.write(octal(0, 8), 108, 8, 'ascii');
  block.write(octal(0, 8), 116, 8, 'ascii');
  block.write(octal(size, 12), 124, 12, 'ascii');
  block.write(octal(499162500, 12), 136, 12, 'ascii');
  block.write('        ', 148, 8, 'ascii');
  block.write(entry.typeflag ?? TYPE_FLAG[entry.type ?? 'file'], 156, 1, 'ascii');
  if (entry.linkname) block.write(entry.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${octal(sum, 7)} `, 148, 8, 'ascii');
  return block;
}

/** The uncompressed tar bytes of `entries`, in order. */
export function tarBytes(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.type && entry.type !== 'file' ? Buffer.alloc(0) : Buffer.from(entry.content ?? '');
    parts.push(header(entry, body.length), body);
    const pad = (512 - (body.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A gzipped tarball whose files live under `package/`, like `npm pack` makes. */
export function packTarball(files: Record<string, string | Buffer>): Buffer {
  return gzipSync(tarBytes(Object.entries(files).map(([path, content]) => ({ path: `package/${path}`, content }))));
}

/** The `dist` fields a registry computes from the real bytes. */
export function distOf(tarball: Buffer): { integrity: string; shasum: string } {
  return {
    integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
    shasum: createHash('sha1').update(tarball).digest('hex'),
  };
}
