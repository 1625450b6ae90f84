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
// The entry types whose header fields a pending pax header overrides (node-tar's "normal" types);
// pax values never apply to the metadata entries (x, g, L, K) in between, nor to exotic types.
const NORMAL_TYPES = new Set(['0', '1', '2', '3', '4', '5', '6', '7', 'D']);
// Types node-tar knows and skips with their data; any other letter it skips the same way.
const META_TYPES = new Set(['x', 'g', 'L', 'K']);
// Old metadata types (N: old GNU long path, X: old pax) that node-tar applies; too rare to read two ways.
const REFUSED_META = new Set(['N', 'X']);

function corrupt(message: string): never {
  throw new TarballError('TARBALL_CORRUPT', message);
}

/** A NUL-terminated string field, decoded as UTF-8 (node-tar cuts at the first NUL as well). */
function cString(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

function parseNumeric(block: Buffer, start: number, length: number): number {
  if (block[start]! & 0x80) {
    // GNU base-256: big-endian after the 0x80 marker; negative (0xff) numbers are refused
    if (block[start] !== 0x80) corrupt('a tar header has a negative or invalid base-256 number');
    let value = block[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = cString(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) corrupt(`a tar header has a non-octal number field "${text.slice(0, 20)}"`);
  return parseInt(text, 8);
}

// Only the unsigned sum counts: npm's extractor rejects a header that only the signed sum accepts, so a
// header Cordon read and npm skipped (or the reverse) would make the two see different files. node-tar
// reads the stored sum from 12 bytes (into the type and link fields) up to the first NUL; both readings
// must give the sum.
function checksumOk(block: Buffer): boolean {
  let unsigned = 0;
  for (let i = 0; i < BLOCK; i++) unsigned += i >= 148 && i < 156 ? 0x20 : block[i]!;
  const asNodeTar = parseInt(block.subarray(148, 160).toString('utf8').replace(/\0.*$/, '').trim(), 8);
  return parseNumeric(block, 148, 8) === unsigned && asNodeTar === unsigned;
}

// Every number field node-tar decodes; a base-256 value it cannot read makes it skip the header and read
// the entry's data as more headers, so such a header is refused here.
const NUMBER_FIELDS: ReadonlyArray<[number, number]> = [
  [100, 8],
  [108, 8],
  [116, 8],
  [124, 12],
  [136, 12],
  [329, 8],
  [337, 8],
  [476, 12],
  [488, 12],
];

function checkNumberFields(block: Buffer, offset: number): void {
  for (const [start, length] of NUMBER_FIELDS) {
    const first = block[start]!;
    if (!(first & 0x80)) continue;
    if (first !== 0x80 && first !== 0xff) corrupt(`tar header at byte ${offset} has an invalid base-256 number`);
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (first === 0xff ? 0xff - block[i]! : block[i]!);
    if (!Number.isSafeInteger(value)) corrupt(`tar header at byte ${offset} has a number outside the safe range`);
  }
}

function isZeroBlock(buf: Buffer, offset: number): boolean {
  for (let i = offset; i < offset + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Parses pax extended header records ("<len> key=value\n"). npm's reader splits the data on newlines
 * and skips records whose length does not match; this reader refuses anything that is not one
 * well-formed record per line, so both read the same keys and values.
 */
function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const lenText = space === -1 ? '' : data.toString('ascii', pos, space);
    const len = /^[1-9]\d*$/.test(lenText) ? Number(lenText) : NaN;
    if (!Number.isSafeInteger(len) || pos + len > data.length || data[pos + len - 1] !== 0x0a)
      corrupt('a pax header record has a bad length');
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0 || record.includes('\n') || record.includes('\0')) corrupt('a pax header record is malformed');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** A GNU long name: text up to a NUL, then only NULs (node-tar keeps text after a NUL and a newline). */
function longNameOf(data: Buffer): string {
  const nul = data.indexOf(0);
  const end = nul === -1 ? data.length : nul;
  for (let i = end; i < data.length; i++) if (data[i] !== 0) corrupt('a GNU long name has data after its end');
  const name = data.toString('utf8', 0, end);
  if (name.includes('\n')) corrupt('a GNU long name has a line break');
  return name;
}

function kindOf(typeflag: string): TarEntryKind {
  switch (typeflag) {
    case '0':
    case '7':
      return 'file';
    case '5':
      return 'dir';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    case '3':
    case '4':
    case '6':
      return 'special';
    default:
      return 'unknown';
  }
}

function paxSize(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || value.trim() === '') corrupt(`a pax header sets the size ${JSON.stringify(value.slice(0, 40))}`);
  return n;
}

/**
 * Walks a tar stream held in memory and returns its entries, reading each header the way npm's
 * extractor (node-tar) does: pax and GNU long names apply to the next ordinary entry only, the ustar
 * prefix counts only under the POSIX magic "ustar\0" "00" and is put in front of whatever path the
 * entry ends up with, a directory (or a file whose name ends in "/") has no data. Fails on a bad
 * checksum, data past the end, or a missing end-of-archive marker, so a damaged stream never looks
 * complete; and wherever node-tar would silently skip a header and read the following data as more
 * headers (a missing path, a link without a target, a target on a non-link, a lone zero block), or
 * where readers disagree (global pax paths, a pax path and a different GNU long name), it refuses:
 * the analysis must see exactly the files npm would install.
 */
export function parseTar(buf: Buffer, limits: TarballLimits): RawTarEntry[] {
  const entries: RawTarEntry[] = [];
  const globalPax: Record<string, string> = {};
  let localPax: Record<string, string> | null = null;
  let longName: string | undefined;
  let longLink: string | undefined;
  let headers = 0;
  let offset = 0;
  const metaLimit = limits.maxPathBytes * 4 + 65536;
  for (;;) {
    if (offset + BLOCK > buf.length) {
      throw new TarballError('TARBALL_TRUNCATED', 'the tar stream ends before its end-of-archive marker; download the tarball again');
    }
    if (isZeroBlock(buf, offset)) {
      // The end is two zero blocks; after one, some readers stop and others read on.
      if (offset + 2 * BLOCK > buf.length)
        throw new TarballError('TARBALL_TRUNCATED', 'the tar stream ends inside its end-of-archive marker; download the tarball again');
      if (!isZeroBlock(buf, offset + BLOCK))
        corrupt(`a single zero block at byte ${offset} is followed by more entries; tar readers disagree on where this archive ends`);
      if (localPax || longName !== undefined || longLink !== undefined)
        corrupt('the archive ends after a pax or long-name header that names no entry');
      return entries;
    }
    if (++headers > limits.maxEntries) {
      throw new TarballError('TARBALL_TOO_MANY_FILES', `the tarball has more than ${limits.maxEntries} entries`);
    }
    const block = buf.subarray(offset, offset + BLOCK);
    if (!checksumOk(block)) corrupt(`tar header at byte ${offset} has a bad checksum`);
    checkNumberFields(block, offset);
    const raw = block.toString('latin1', 156, 157);
    const typeflag = raw === '\0' ? '0' : raw;
    const normal = NORMAL_TYPES.has(typeflag);
    if (REFUSED_META.has(typeflag))
      corrupt(`tar header at byte ${offset} is an old-style metadata entry (type ${typeflag}); readers disagree on it`);
    const pax = normal ? { ...globalPax, ...(localPax ?? {}) } : {};
    const name = cString(block, 0, 100);
    if (normal && localPax?.path !== undefined && longName !== undefined && localPax.path !== longName) {
      corrupt(
        `an entry has both a pax path (${JSON.stringify(localPax.path.slice(0, 80))}) and a different GNU long name; tar readers disagree on which wins`,
      );
    }
    if (normal && localPax?.linkpath !== undefined && longLink !== undefined && localPax.linkpath !== longLink) {
      corrupt('an entry has both a pax linkpath and a different GNU long link name; tar readers disagree on which wins');
    }
    let path = normal ? (localPax?.path ?? longName ?? name) : name;
    const isDir = typeflag === '5' || (typeflag === '0' && path.endsWith('/'));
    const size = isDir ? 0 : pax.size !== undefined ? paxSize(pax.size) : parseNumeric(block, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) corrupt(`tar header at byte ${offset} has a bad size`);
    // Only the POSIX magic with version "00" has a prefix field; GNU headers ("ustar  ") keep other data there.
    // A pax or GNU long path replaces the whole path: node-tar's entry takes it as is, prefix or not.
    const extended = normal && (localPax?.path !== undefined || longName !== undefined);
    if (!extended && block.toString('latin1', 257, 265) === 'ustar\u000000') {
      // node-tar: with byte 475 set the prefix is 155 bytes and always joined (even when empty, giving
      // a leading "/"); otherwise 130 bytes (star keeps times after it), joined when not empty
      if (block[475] !== 0) path = `${cString(block, 345, 155)}/${path}`;
      else {
        const prefix = cString(block, 345, 130);
        if (prefix) path = `${prefix}/${path}`;
      }
    }
    const rawLink = cString(block, 157, 100);
    const isLink = typeflag === '1' || typeflag === '2';
    if (path === '') corrupt(`tar header at byte ${offset} has no path; npm would skip the header and read its data as more entries`);
    if (isLink && rawLink === '')
      corrupt(`the link ${JSON.stringify(path.slice(0, 80))} has no target; npm would skip the header and read its data as more entries`);
    if (!isLink && typeflag !== 'x' && typeflag !== 'g' && rawLink !== '') {
      corrupt(
        `the entry ${JSON.stringify(path.slice(0, 80))} is not a link but names a link target; npm would skip the header and read its data as more entries`,
      );
    }
    // node-tar checks a link target named for a non-link as well, and may skip the entry over it
    if (normal && !isLink && (pax.linkpath !== undefined || longLink !== undefined)) {
      corrupt(`the entry ${JSON.stringify(path.slice(0, 80))} is not a link but a pax or GNU header gives it a link target`);
    }
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > buf.length) {
      throw new TarballError('TARBALL_TRUNCATED', 'a tar entry runs past the end of the stream; download the tarball again');
    }
    const data = buf.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (META_TYPES.has(typeflag)) {
      if (size > metaLimit) corrupt(`a tar metadata entry of ${size} bytes exceeds ${metaLimit}`);
      // an empty metadata entry changes nothing for npm's reader
      if (size === 0) continue;
      if (typeflag === 'L') longName = longNameOf(data);
      else if (typeflag === 'K') longLink = longNameOf(data);
      else if (typeflag === 'x') localPax = { ...(localPax ?? {}), ...parsePax(data) };
      else {
        const global = parsePax(data);
        for (const key of ['path', 'linkpath', 'size']) {
          if (key in global) corrupt(`a global pax header sets "${key}"; tar readers disagree on whether it applies to later entries`);
        }
        Object.assign(globalPax, global);
      }
      continue;
    }
    const linkname = isLink ? (pax.linkpath ?? longLink ?? rawLink) : '';
    if (Buffer.byteLength(path) > limits.maxPathBytes) corrupt(`a tar entry path is longer than ${limits.maxPathBytes} bytes`);
    entries.push({ path, kind: isDir ? 'dir' : kindOf(typeflag), typeflag, mode: parseNumeric(block, 100, 8), linkname, data });
    localPax = null;
    longName = undefined;
    longLink = undefined;
  }
}
