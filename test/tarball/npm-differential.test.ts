/**
 * Cordon's tar reader against npm's own extraction (node-tar, as pacote configures it): on every corpus
 * tarball and on seeded mutations of them (pax and GNU headers, checksums, sizes, types, duplicate,
 * long, absolute and odd paths, links, zero blocks, truncation), the reader either yields exactly the
 * files and bytes npm would write, or refuses the tarball. It never yields a different set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { readTarball } from '../../server/tarball/read-tarball';
import { TarballError } from '../../server/tarball/errors';
import { tarBytes, type TarEntry } from '../helpers/pack-tarball';
import { npmExtract } from './npm-oracle';

const SEED = Number(process.env.TAR_FUZZ_SEED ?? 0x5eed);
const MUTATIONS = Number(process.env.TAR_FUZZ_MUTATIONS ?? 1500);

/** mulberry32: a small seeded generator, so every failure is reproducible from its seed and index. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let len = n + 1;
  while (String(len).length + n !== len) len = String(len).length + n;
  return `${len}${body}`;
}

/** Archives made by node-tar's own packer (what `npm pack` uses), from folders written here. */
function nodeTarArchive(files: Record<string, string | Buffer>, gzip: boolean): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-tar-corpus-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'package', path)), { recursive: true });
      writeFileSync(join(dir, 'package', path), content);
    }
    const listed = Object.keys(files).map((p) => `package/${p}`);
    const chunks: Buffer[] = [];
    const stream = tar.c({ cwd: dir, sync: true, gzip, portable: true } as any, listed) as any;
    stream.on('data', (c: Buffer) => chunks.push(c));
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const long = (n: number) => Array.from({ length: n }, (_, i) => `segment-${i}`).join('/');
const corpus: Array<[string, Buffer]> = [
  [
    'node-tar: plain package',
    nodeTarArchive(
      { 'package.json': '{"name":"a","version":"1.0.0"}', 'index.js': 'module.exports = 1;\n', 'lib/x.js': 'x'.repeat(1500) },
      true,
    ),
  ],
  [
    'node-tar: long and unicode paths, an empty file, .gitignore',
    nodeTarArchive(
      {
        'package.json': '{}',
        [`${long(20)}/deep.js`]: 'deep',
        'é/ü/ñ.js': 'unicode',
        'empty.txt': '',
        '.gitignore': 'node_modules\n',
        'sub/.gitignore': 'x',
        'sub/.npmignore': 'y',
      },
      false,
    ),
  ],
  [
    'ustar prefix',
    tarBytes([
      { path: `package/${'d'.repeat(90)}/${'e'.repeat(60)}/f.js`, content: 'prefixed' },
      { path: 'package/package.json', content: '{}' },
    ]),
  ],
  [
    'GNU long names and pax paths',
    tarBytes([
      { path: '././@LongLink', typeflag: 'L', content: `package/${'g'.repeat(150)}.js\0` },
      { path: 'short', content: 'gnu' },
      { path: 'PaxHeader', typeflag: 'x', content: paxRecord('path', `package/${'p'.repeat(120)}.js`) },
      { path: 'short2', content: 'pax' },
      { path: 'package/package.json', content: '{}' },
    ]),
  ],
  [
    'directories, links, duplicates, odd paths',
    tarBytes([
      { path: 'package/', type: 'dir' },
      { path: 'package/lib/', type: 'dir' },
      { path: 'package/lib/a.js', content: 'a' },
      { path: 'package/link', type: 'symlink', linkname: 'lib/a.js' },
      { path: 'package/hard', type: 'hardlink', linkname: 'package/lib/a.js' },
      { path: 'package/lib/a.js', content: 'a2' },
      { path: 'package/./lib/b.js', content: 'b' },
      { path: 'package//lib//c.js', content: 'c' },
      { path: 'package/.gitignore', content: 'g' },
      { path: 'package/package.json', content: '{}' },
    ]),
  ],
];

const TYPEFLAGS = ['0', '\0', '1', '2', '3', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 'D', 'V', 'M', 'N', 'Z', 'A'];
const PATHS = [
  '/etc/passwd',
  'package/../evil.js',
  './package/x.js',
  'package/.gitignore',
  'package/a/',
  'package',
  'x.js',
  'package\\win.js',
  '../package/y.js',
  'package/./../z.js',
  '//package/abs.js',
  'C:/package/drive.js',
  'package/.npmignore',
  'package/package.json',
  `package/${'q'.repeat(99)}`,
  'package/ü.js',
];

/** Header offsets of a raw tar stream (each entry's header, in order). */
function headers(buf: Buffer): number[] {
  const out: number[] = [];
  let off = 0;
  while (off + 512 <= buf.length) {
    const block = buf.subarray(off, off + 512);
    if (block.every((b) => b === 0)) break;
    out.push(off);
    const size = parseInt(block.toString('latin1', 124, 136).replace(/\0.*$/, '').trim(), 8) || 0;
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function rechecksum(buf: Buffer, at: number): void {
  buf.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += buf[at + i]!;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 8, 'latin1');
}

function setField(buf: Buffer, at: number, offset: number, length: number, value: string | Buffer): void {
  buf.fill(0, at + offset, at + offset + length);
  (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).copy(buf, at + offset, 0, length);
}

type Mutation = (tarball: Buffer, r: () => number) => Buffer;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const entry = (e: TarEntry): Buffer => tarBytes([e]).subarray(0, -1024);

const MUTATORS: Array<[string, Mutation]> = [
  [
    'flip a header byte',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const at = pick(r, h);
      t[at + Math.floor(r() * 512)] ^= 1 << Math.floor(r() * 8);
      if (r() < 0.7) rechecksum(t, at);
      return t;
    },
  ],
  [
    'change the type',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const at = pick(r, h);
      t[at + 156] = pick(r, TYPEFLAGS).charCodeAt(0);
      rechecksum(t, at);
      return t;
    },
  ],
  [
    'change the size',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const at = pick(r, h);
      const cur = parseInt(t.toString('latin1', at + 124, at + 136), 8) || 0;
      const size = Math.max(0, cur + pick(r, [-1, 1, 511, 512, 513, -512, 1024, 100000]));
      setField(t, at, 124, 12, `${size.toString(8).padStart(11, '0')}\0`);
      rechecksum(t, at);
      return t;
    },
  ],
  [
    'base-256 size',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const at = pick(r, h);
      const cur = parseInt(t.toString('latin1', at + 124, at + 136), 8) || 0;
      const b = Buffer.alloc(12);
      b[0] = 0x80;
      b.writeUInt32BE(cur, 8);
      setField(t, at, 124, 12, b);
      rechecksum(t, at);
      return t;
    },
  ],
  [
    'change the path',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const at = pick(r, h);
      setField(t, at, 0, 100, pick(r, PATHS));
      if (r() < 0.5) setField(t, at, 345, 155, '');
      rechecksum(t, at);
      return t;
    },
  ],
  [
    'set a prefix',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const at = pick(r, h);
      setField(t, at, 345, 155, pick(r, ['package', 'package/sub', '', '/abs', '..', 'other']));
      if (r() < 0.3) t[at + 475] = 0x41;
      rechecksum(t, at);
      return t;
    },
  ],
  [
    'change the magic',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const at = pick(r, h);
      setField(t, at, 257, 8, pick(r, ['ustar\u000000', 'ustar  \0', 'ustar\u0000  ', 'xxxxxxxx', '\0\0\0\0\0\0\0\0']));
      rechecksum(t, at);
      return t;
    },
  ],
  [
    'set a link name',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const at = pick(r, h);
      setField(t, at, 157, 100, pick(r, ['target', '', '/etc/passwd', 'package/index.js']));
      rechecksum(t, at);
      return t;
    },
  ],
  [
    'insert a pax header',
    (t, r) => {
      const h = headers(t);
      const at = h.length ? pick(r, h) : 0;
      const key = pick(r, ['path', 'linkpath', 'size', 'mtime', 'uid', 'comment']);
      const value = key === 'size' ? String(pick(r, [0, 1, 512, 3])) : pick(r, PATHS);
      const pax = entry({ path: 'PaxHeader/x', typeflag: pick(r, ['x', 'x', 'g']), content: paxRecord(key, value) });
      return Buffer.concat([t.subarray(0, at), pax, t.subarray(at)]);
    },
  ],
  [
    'insert a GNU long name',
    (t, r) => {
      const h = headers(t);
      const at = h.length ? pick(r, h) : 0;
      const flag = pick(r, ['L', 'K', 'L']);
      const long = entry({ path: '././@LongLink', typeflag: flag, content: `${pick(r, PATHS)}${r() < 0.5 ? '\0' : ''}` });
      return Buffer.concat([t.subarray(0, at), long, t.subarray(at)]);
    },
  ],
  [
    'duplicate an entry',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const i = Math.floor(r() * h.length);
      const end =
        h[i + 1] ??
        headers(t)
          .slice(-1)
          .reduce((_, x) => x, h[i]!) +
          512 +
          Math.ceil((parseInt(t.toString('latin1', h[i]! + 124, h[i]! + 136), 8) || 0) / 512) * 512;
      return Buffer.concat([t.subarray(0, end), t.subarray(h[i]!, end), t.subarray(end)]);
    },
  ],
  [
    'append an entry',
    (t, r) => {
      const h = headers(t);
      const last = h.length
        ? h[h.length - 1]! +
          512 +
          Math.ceil((parseInt(t.toString('latin1', h[h.length - 1]! + 124, h[h.length - 1]! + 136), 8) || 0) / 512) * 512
        : 0;
      const e = entry({
        path: pick(r, PATHS),
        content: 'appended',
        ...(r() < 0.3 ? { type: pick(r, ['dir', 'symlink', 'hardlink'] as const), linkname: 'package/index.js' } : {}),
      });
      return Buffer.concat([t.subarray(0, last), e, t.subarray(last)]);
    },
  ],
  [
    'insert a zero block',
    (t, r) => {
      const h = headers(t);
      if (!h.length) return t;
      const at = pick(r, h);
      return Buffer.concat([t.subarray(0, at), Buffer.alloc(512 * (r() < 0.5 ? 1 : 2)), t.subarray(at)]);
    },
  ],
  ['truncate', (t, r) => t.subarray(0, Math.floor(r() * t.length))],
  ['drop the end marker', (t) => t.subarray(0, Math.max(0, t.length - 1024))],
  [
    'hide entries in a directory body',
    (t, r) => {
      const inner = entry({ path: 'package/hidden.js', content: 'hidden' });
      const dir = entry({ path: pick(r, ['package/d/', 'package/d']), typeflag: pick(r, ['5', '0']), content: inner });
      return Buffer.concat([dir, t]);
    },
  ],
];

function raw(tarball: Buffer): Buffer {
  return tarball[0] === 0x1f && tarball[1] === 0x8b ? require('node:zlib').gunzipSync(tarball) : Buffer.from(tarball);
}

/** Cordon's answer: the files it yields, or 'refused'. */
function cordon(bytes: Buffer): Map<string, Buffer> | 'refused' {
  try {
    const { files } = readTarball(bytes);
    return new Map(files.map((f) => [f.path, Buffer.from(f.bytes)]));
  } catch (err) {
    if (err instanceof TarballError) return 'refused';
    throw err;
  }
}

function describe(m: Map<string, Buffer> | 'refused' | 'error'): string {
  return typeof m === 'string'
    ? m
    : JSON.stringify([...m].map(([p, b]) => [p, b.length > 40 ? `${b.length} bytes` : b.toString('latin1')]).sort());
}

function agree(bytes: Buffer, what: string): 'accepted' | 'refused' | 'npm-failed' {
  const npm = npmExtract(bytes);
  const ours = cordon(bytes);
  if (npm === 'error') return 'npm-failed';
  if (ours === 'refused') return 'refused';
  const same = ours.size === npm.size && [...ours].every(([p, b]) => npm.get(p)?.equals(b));
  if (!same && process.env.TAR_FUZZ_DUMP) require('node:fs').writeFileSync(process.env.TAR_FUZZ_DUMP, bytes);
  assert.ok(same, `${what}: Cordon read ${describe(ours)} but npm writes ${describe(npm)}`);
  return 'accepted';
}

test('every corpus tarball reads as npm extracts it', () => {
  for (const [name, bytes] of corpus) {
    assert.equal(agree(bytes, name), 'accepted', `${name} must be read, not refused`);
    assert.equal(agree(gzipSync(raw(bytes)), `${name} (gzip)`), 'accepted');
  }
});

test(`${MUTATIONS} seeded mutations: the same files as npm, or refused (seed ${SEED})`, (t) => {
  const r = rng(SEED);
  const tally: Record<string, number> = { accepted: 0, refused: 0, 'npm-failed': 0 };
  for (let i = 0; i < MUTATIONS; i++) {
    const [name, base] = corpus[Math.floor(r() * corpus.length)]!;
    let bytes = raw(base);
    const steps: string[] = [];
    for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
      const [label, mutate] = MUTATORS[Math.floor(r() * MUTATORS.length)]!;
      steps.push(label);
      bytes = mutate(Buffer.from(bytes), r);
    }
    if (r() < 0.3) bytes = gzipSync(bytes);
    tally[agree(bytes, `mutation #${i} of "${name}" (${steps.join(', ')}; seed ${SEED})`)]!++;
  }
  t.diagnostic(`accepted and equal: ${tally.accepted}, refused by Cordon: ${tally.refused}, failed in npm too: ${tally['npm-failed']}`);
  // Not vacuous: many mutated archives are still read and compared file by file.
  assert.ok(tally.accepted! > MUTATIONS / 5, JSON.stringify(tally));
});
