import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readTarball } from '../../server/tarball/read-tarball';
import { TarballError, type TarballErrorCode } from '../../server/tarball/errors';
import { DEFAULT_TARBALL_LIMITS, type TarballLimits } from '../../server/tarball/limits';
import { packTarball, tarBytes } from '../helpers/pack-tarball';

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body);
  let len = bodyBytes + 1;
  while (String(len).length + bodyBytes !== len) len = String(len).length + bodyBytes;
  return `${len}${body}`;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

test('reads files under package/ with their paths relative to the package root', () => {
  const { files, anomalies } = readTarball(packTarball({ 'package.json': '{"name":"a"}', 'lib/index.js': 'x' }));
  assert.deepEqual(files.map((f) => f.path).sort(), ['lib/index.js', 'package.json']);
  assert.equal(text(files.find((f) => f.path === 'lib/index.js')!.bytes), 'x');
  assert.deepEqual(anomalies, []);
});

test('accepts an uncompressed tar and a root folder not named package', () => {
  const { files } = readTarball(tarBytes([{ path: 'node-foo/index.js', content: 'y' }]));
  assert.deepEqual(
    files.map((f) => f.path),
    ['index.js'],
  );
});

test('joins the ustar prefix, GNU long names and pax paths', () => {
  const deep = `package/${'d'.repeat(60)}/${'e'.repeat(60)}/file.js`;
  const gnu = `package/${'g'.repeat(150)}.js`;
  const pax = `package/${'p'.repeat(120)}/é.js`;
  const tar = tarBytes([
    { path: deep, content: '1' },
    { path: '././@LongLink', typeflag: 'L', content: `${gnu}\0` },
    { path: 'truncated-name', content: '2' },
    { path: 'PaxHeader', typeflag: 'x', content: paxRecord('path', pax) },
    { path: 'short', content: '3' },
    { path: 'global', typeflag: 'g', content: paxRecord('comment', 'x') },
    { path: 'package/after.js', content: '4' },
  ]);
  const paths = readTarball(tar).files.map((f) => f.path);
  assert.deepEqual(
    paths,
    [deep, gnu, pax, 'package/after.js'].map((p) => p.slice('package/'.length)),
  );
});

test('reports links, traversal, absolute and special entries as anomalies; only files npm writes are files', () => {
  const tar = tarBytes([
    { path: 'package/index.js', content: 'ok' },
    { path: 'package/link', type: 'symlink', linkname: '/etc/passwd' },
    { path: 'package/hard', type: 'hardlink', linkname: 'package/index.js' },
    { path: 'package/../../evil.js', content: 'x' },
    { path: '/etc/cron.d/evil', content: 'x' },
    { path: 'package/fifo', typeflag: '6' },
    { path: 'package/index.js', content: 'shadow' },
  ]);
  const { files, anomalies } = readTarball(tar);
  // npm strips the first segment (here the empty one before "/") and writes the rest under the package
  assert.deepEqual(files.map((f) => f.path).sort(), ['etc/cron.d/evil', 'index.js']);
  assert.equal(text(files.find((f) => f.path === 'index.js')!.bytes), 'shadow');
  assert.deepEqual(
    anomalies.map((a) => a.kind),
    ['symlink', 'hardlink', 'path-traversal', 'absolute-path', 'special-file', 'duplicate-path'],
  );
  assert.equal(anomalies[0]!.target, '/etc/passwd');
});

const small: TarballLimits = { ...DEFAULT_TARBALL_LIMITS, maxTotalBytes: 10_000, maxEntries: 5, maxFileBytes: 4_000, maxDepth: 4 };
const good = packTarball({ 'index.js': 'module.exports = 1;\n'.repeat(50) });
const tarOnly = tarBytes([{ path: 'package/index.js', content: 'abc' }]);
const badChecksum = Buffer.from(tarOnly);
badChecksum[0] = 'X'.charCodeAt(0);

const hostile: Array<{ name: string; bytes: Buffer; limits?: TarballLimits; code: TarballErrorCode }> = [
  { name: 'empty input', bytes: Buffer.alloc(0), code: 'TARBALL_CORRUPT' },
  { name: 'truncated gzip', bytes: good.subarray(0, good.length - 30), code: 'TARBALL_TRUNCATED' },
  { name: 'corrupt gzip body', bytes: Buffer.concat([good.subarray(0, 12), Buffer.alloc(40, 0xff)]), code: 'TARBALL_CORRUPT' },
  { name: 'tar without end marker', bytes: tarOnly.subarray(0, 1024), code: 'TARBALL_TRUNCATED' },
  { name: 'tar cut inside an entry', bytes: tarOnly.subarray(0, 600), code: 'TARBALL_TRUNCATED' },
  { name: 'bad header checksum', bytes: badChecksum, code: 'TARBALL_CORRUPT' },
  { name: 'random bytes', bytes: Buffer.from('not a tarball at all'.repeat(40)), code: 'TARBALL_CORRUPT' },
  {
    name: 'gzip bomb',
    bytes: gzipSync(tarBytes([{ path: 'package/zero', content: Buffer.alloc(5_000_000) }])),
    limits: small,
    code: 'TARBALL_TOO_LARGE',
  },
  { name: 'one file too large', bytes: packTarball({ big: Buffer.alloc(5_000) }), limits: small, code: 'TARBALL_FILE_TOO_LARGE' },
  {
    name: 'sum of files too large',
    bytes: packTarball({ a: Buffer.alloc(3_900), b: Buffer.alloc(3_900), c: Buffer.alloc(3_900) }),
    limits: small,
    code: 'TARBALL_TOO_LARGE',
  },
  {
    name: 'too many entries',
    bytes: packTarball(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}`, '']))),
    limits: small,
    code: 'TARBALL_TOO_MANY_FILES',
  },
  { name: 'nested too deep', bytes: packTarball({ 'a/b/c/d/e/f.js': '' }), limits: small, code: 'TARBALL_TOO_DEEP' },
];

/** The entries of a tar stream without its end-of-archive marker. */
const entriesOnly = (entries: Parameters<typeof tarBytes>[0]): Buffer => tarBytes(entries).subarray(0, -1024);
const END = Buffer.alloc(1024);
const benign = entriesOnly([{ path: 'package/package.json', content: '{"name":"a"}' }]);
const evil = entriesOnly([
  { path: 'package/package.json', content: '{"name":"a","scripts":{"postinstall":"node evil.js"}}' },
  { path: 'package/evil.js', content: 'require("child_process")' },
]);

/** Rewrites the checksum of the header at `at` (signed sums are what some old tools wrote). */
function rechecksum(tar: Buffer, at: number, signed = false): Buffer {
  const out = Buffer.from(tar);
  let sum = 0;
  for (let i = 0; i < 512; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : out[at + i]!;
    sum += signed && byte > 127 ? byte - 256 : byte;
  }
  out.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 8, 'ascii');
  return out;
}

const highBytes = Buffer.from(tarBytes([{ path: 'package/\u00ff\u00ff.bin', content: 'x' }]));
// Where tar readers disagree, npm could install files the analysis never saw: such archives are refused.
hostile.push(
  {
    name: 'a lone zero block followed by more entries',
    bytes: Buffer.concat([benign, Buffer.alloc(512), evil, END]),
    code: 'TARBALL_CORRUPT',
  },
  { name: 'a header only a signed checksum accepts', bytes: rechecksum(highBytes, 0, true), code: 'TARBALL_CORRUPT' },
  {
    name: 'a global pax header that sets a path',
    bytes: Buffer.concat([entriesOnly([{ path: 'g', typeflag: 'g', content: paxRecord('path', 'package/README.md') }]), evil, END]),
    code: 'TARBALL_CORRUPT',
  },
  {
    name: 'a pax path and a different GNU long name for one entry',
    bytes: tarBytes([
      { path: 'x', typeflag: 'x', content: paxRecord('path', 'package/README.md') },
      { path: '././@LongLink', typeflag: 'L', content: 'package/package.json\0' },
      { path: 'package/short', content: '{"scripts":{"postinstall":"node evil.js"}}' },
    ]),
    code: 'TARBALL_CORRUPT',
  },
  { name: 'a backslash in an entry path', bytes: tarBytes([{ path: 'package\\x/package.json', content: '{}' }]), code: 'TARBALL_CORRUPT' },
);

test('the prefix field counts only in POSIX ustar headers, as in npm', () => {
  const tar = Buffer.from(tarBytes([{ path: 'package/x.js', content: '1' }]));
  tar.write('ustar  \0', 257, 8, 'latin1'); // GNU magic: bytes 345.. are not a prefix there
  tar.write('elsewhere', 345, 155, 'utf8');
  assert.deepEqual(
    readTarball(rechecksum(tar, 0)).files.map((f) => f.path),
    ['x.js'],
  );
  assert.deepEqual(
    readTarball(rechecksum(highBytes, 0)).files.map((f) => f.path),
    ['\u00ff\u00ff.bin'],
    'the unsigned checksum of the same header is accepted',
  );
});

for (const c of hostile) {
  test(`refuses ${c.name} with ${c.code}`, () => {
    assert.throws(
      () => readTarball(c.bytes, c.limits),
      (err: unknown) => err instanceof TarballError && err.code === c.code,
    );
  });
}

test('keeps memory bounded on a 100 MB unpacked tarball', () => {
  const chunk = Buffer.alloc(10 * 1024 * 1024, 0x61);
  const bytes = gzipSync(tarBytes(Array.from({ length: 10 }, (_, i) => ({ path: `package/big${i}.bin`, content: chunk }))));
  const before = process.memoryUsage().rss;
  const { unpackedBytes, files } = readTarball(bytes);
  const grown = process.memoryUsage().rss - before;
  assert.equal(unpackedBytes, 100 * 1024 * 1024);
  // The files are views into one unpacked buffer, never copies (RSS alone is too coarse to show a copy).
  const buffers = new Set(files.map((f) => f.bytes.buffer));
  assert.equal(buffers.size, 1);
  assert.ok([...buffers][0]!.byteLength >= 100 * 1024 * 1024);
  // one copy of the unpacked stream, files are views into it
  assert.ok(grown < 260 * 1024 * 1024, `rss grew by ${Math.round(grown / 1e6)} MB`);
});

test('reads what npm reads where tar readers differ: directory bodies, .gitignore, pax paths under a prefix', () => {
  const inner = tarBytes([{ path: 'package/hidden.js', content: 'hidden' }]).subarray(0, -1024);
  // A directory has no data for npm's reader: what follows its header is more entries.
  const dirBody = Buffer.concat([
    tarBytes([{ path: 'package/d/', typeflag: '5', content: inner }]).subarray(0, -1024 - inner.length),
    inner,
    Buffer.alloc(1024),
  ]);
  assert.deepEqual(
    readTarball(dirBody).files.map((f) => f.path),
    ['hidden.js'],
  );
  const files = readTarball(
    tarBytes([
      { path: 'package/.gitignore', content: 'a' },
      { path: 'package/sub/.npmignore', content: 'b' },
      { path: 'package/sub/.gitignore', content: 'c' },
    ]),
  ).files.map((f) => `${f.path}=${text(f.bytes)}`);
  assert.deepEqual(files.sort(), ['.npmignore=a', 'sub/.npmignore=b']);
});

const refusedShapes: Array<[string, Buffer]> = [
  ['a file that names a link target', tarBytes([{ path: 'package/a.js', content: 'x', linkname: 'b.js' }])],
  ['a link without a target', tarBytes([{ path: 'package/l', typeflag: '2', content: '' }])],
  [
    'a path that is a file and a folder',
    tarBytes([
      { path: 'package/a', content: '1' },
      { path: 'package/a/b.js', content: '2' },
    ]),
  ],
  ['a drive letter', tarBytes([{ path: 'package/C:/x.js', content: '1' }])],
  [
    'an old GNU long name (N)',
    tarBytes([
      { path: 'x', typeflag: 'N', content: 'package/y.js' },
      { path: 'package/z.js', content: '1' },
    ]),
  ],
  ['a pax header naming no entry', tarBytes([{ path: 'x', typeflag: 'x', content: paxRecord('path', 'package/y.js') }])],
];
for (const [name, bytes] of refusedShapes) {
  test(`refuses ${name}, which npm reads in a way that depends on more than the bytes`, () => {
    assert.throws(
      () => readTarball(bytes),
      (err: unknown) => err instanceof TarballError && err.code === 'TARBALL_CORRUPT',
    );
  });
}
