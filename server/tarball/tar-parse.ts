import { TarballError } from './errors';
import type { TarballLimits } from './limits';

/** Entry kinds the reader distinguishes; everything that is not a file or directory becomes an anomaly. */
export type TarEntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'special' | 'unknown';

/** One entry of the tar stream after long-name and pax headers have been applied. */
export interface RawTarEntry {
  readonly path: string;
  readonly kind: TarEntryKind;
  readonly typeflag: string;
  readonly mode: number;
  readonly linkname: string;
  /** A view into the tar buffer (not a copy). */
  readonly data: Buffer;
}

const BLOCK = 512;

function cString(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

function parseNumeric(block: Buffer, start: number, length: number): number {
  if (block[start]! & 0x80) {
    // GNU base-256: big-endian, the first byte's high bit is the marker
    let value = block[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = cString(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarballError('TARBALL_CORRUPT', `a tar header has a non-octal number field "${text.slice(0, 20)}"`);
  return parseInt(text, 8);
}

// Only the unsigned sum counts: npm's extractor rejects a header that only the signed sum accepts, so a
// header Cordon read and npm skipped (or the reverse) would make the two see different files.
function checksumOk(block: Buffer): boolean {
  const stored = parseNumeric(block, 148, 8);
  let unsigned = 0;
  for (let i = 0; i < BLOCK; i++) unsigned += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return stored === unsigned;
}

function isZeroBlock(buf: Buffer, offset: number): boolean {
  for (let i = offset; i < offset + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Parses pax extended header records ("<len> key=value\n"). */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.toString('ascii', pos, space), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) {
      throw new TarballError('TARBALL_CORRUPT', 'a pax header record has a bad length');
    }
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

function kindOf(typeflag: string): TarEntryKind {
  switch (typeflag) {
    case '0': case '\0': case '': case '7': return 'file';
    case '5': return 'dir';
    case '2': return 'symlink';
    case '1': return 'hardlink';
    case '3': case '4': case '6': return 'special';
    default: return 'unknown';
  }
}

/**
 * Walks a tar stream held in memory and returns its entries, applying ustar prefixes,
 * GNU long names ('L'/'K') and pax headers ('x'/'g'). Fails on a bad checksum, data past
 * the end, or a missing end-of-archive marker, so a damaged stream never looks complete.
 * Where tar readers are known to disagree (a lone zero block, a global pax path, a pax path
 * and a GNU long name for one entry) it fails too: the analysis must see exactly the files
 * npm would install, and a tarball that can be read two ways is held for a person instead.
 */
export function parseTar(buf: Buffer, limits: TarballLimits): RawTarEntry[] {
  const entries: RawTarEntry[] = [];
  const globalPax: Record<string, string> = {};
  let localPax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let headers = 0;
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > buf.length) {
      throw new TarballError('TARBALL_TRUNCATED', 'the tar stream ends before its end-of-archive marker; download the tarball again');
    }
    if (isZeroBlock(buf, offset)) {
      // The end is two zero blocks; after one, some readers stop and others read on.
      if (offset + 2 * BLOCK > buf.length) throw new TarballError('TARBALL_TRUNCATED', 'the tar stream ends inside its end-of-archive marker; download the tarball again');
      if (!isZeroBlock(buf, offset + BLOCK)) throw new TarballError('TARBALL_CORRUPT', `a single zero block at byte ${offset} is followed by more entries; tar readers disagree on where this archive ends`);
      return entries;
    }
    if (++headers > limits.maxEntries) {
      throw new TarballError('TARBALL_TOO_MANY_FILES', `the tarball has more than ${limits.maxEntries} entries`);
    }
    const block = buf.subarray(offset, offset + BLOCK);
    if (!checksumOk(block)) throw new TarballError('TARBALL_CORRUPT', `tar header at byte ${offset} has a bad checksum`);
    const typeflag = String.fromCharCode(block[156]!).replace('\0', '0');
    const pax = { ...globalPax, ...localPax };
    const size = pax.size !== undefined ? Number(pax.size) : parseNumeric(block, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarballError('TARBALL_CORRUPT', `tar header at byte ${offset} has a bad size`);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > buf.length) {
      throw new TarballError('TARBALL_TRUNCATED', 'a tar entry runs past the end of the stream; download the tarball again');
    }
    const data = buf.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    const metaLimit = limits.maxPathBytes * 4 + 65536;
    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
      if (size > metaLimit) throw new TarballError('TARBALL_CORRUPT', `a tar metadata entry of ${size} bytes exceeds ${metaLimit}`);
      if (typeflag === 'L') longName = cString(data, 0, data.length);
      else if (typeflag === 'K') longLink = cString(data, 0, data.length);
      else if (typeflag === 'x') localPax = parsePax(data);
      else {
        const global = parsePax(data);
        for (const key of ['path', 'linkpath', 'size']) {
          if (key in global) throw new TarballError('TARBALL_CORRUPT', `a global pax header sets "${key}"; tar readers disagree on whether it applies to later entries`);
        }
        Object.assign(globalPax, global);
      }
      continue;
    }
    let path = cString(block, 0, 100);
    // Only the POSIX magic ("ustar\0") has a prefix field; GNU headers ("ustar  ") keep other data there.
    if (block.toString('latin1', 257, 263) === 'ustar\0') {
      const prefix = cString(block, 345, 155);
      if (prefix) path = `${prefix}/${path}`;
    }
    if (pax.path !== undefined && longName !== undefined && pax.path !== longName) {
      throw new TarballError('TARBALL_CORRUPT', `an entry has both a pax path (${JSON.stringify(pax.path.slice(0, 80))}) and a different GNU long name; tar readers disagree on which wins`);
    }
    if (pax.linkpath !== undefined && longLink !== undefined && pax.linkpath !== longLink) {
      throw new TarballError('TARBALL_CORRUPT', 'an entry has both a pax linkpath and a different GNU long link name; tar readers disagree on which wins');
    }
    path = pax.path ?? longName ?? path;
    const linkname = pax.linkpath ?? longLink ?? cString(block, 157, 100);
    if (Buffer.byteLength(path) > limits.maxPathBytes) {
      throw new TarballError('TARBALL_CORRUPT', `a tar entry path is longer than ${limits.maxPathBytes} bytes`);
    }
    entries.push({ path, kind: kindOf(typeflag), typeflag, mode: parseNumeric(block, 100, 8), linkname, data });
    localPax = {};
    longName = undefined;
    longLink = undefined;
  }
}
