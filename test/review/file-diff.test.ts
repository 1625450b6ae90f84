import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DIFF_LIMITS, diffFiles, unifiedText } from '../../server/review/file-diff';
import { metadataDiff } from '../../server/review/metadata-diff';

const dir = mkdtempSync(join(tmpdir(), 'cordon-review-diff-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const files = (o: Record<string, string | Buffer>) => new Map(Object.entries(o).map(([k, v]) => [k, new Uint8Array(Buffer.from(v))]));
const seeded = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed;
};

test('random edits: patch(1) turns the old text into the new with the unified text, and line numbers match both sides', () => {
  const rnd = seeded(11);
  for (let round = 0; round < 30; round++) {
    const a = Array.from({ length: 1 + (rnd() % 80) }, () => `line ${rnd() % 15}`);
    const b = [...a];
    for (let e = 1 + (rnd() % 8); e > 0; e--) {
      const at = rnd() % (b.length || 1);
      if (rnd() % 2) b.splice(at, 1);
      else b.splice(at, 0, `new ${rnd() % 5}`);
    }
    const oldText = a.map((l) => `${l}\n`).join('');
    const newText = b.map((l) => `${l}\n`).join('');
    const {
      files: [f],
    } = diffFiles(files({ 'f.txt': oldText }), files({ 'f.txt': newText }));
    if (oldText === newText) {
      assert.equal(f, undefined);
      continue;
    }
    for (const h of f!.hunks!)
      for (const l of h.lines) {
        if (l.a !== undefined) assert.equal(a[l.a - 1], l.text, `round ${round}: old line ${l.a}`);
        if (l.b !== undefined) assert.equal(b[l.b - 1], l.text, `round ${round}: new line ${l.b}`);
      }
    writeFileSync(join(dir, 'f.txt'), oldText);
    writeFileSync(join(dir, 'f.diff'), unifiedText(f!)!);
    const r = spawnSync('patch', ['-s', '--no-backup-if-mismatch', join(dir, 'f.txt'), join(dir, 'f.diff')]);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(readFileSync(join(dir, 'f.txt'), 'utf8'), newText, `round ${round}`);
  }
});

test('added, removed, binary, large, too different and over-budget files are bounded and summarised', () => {
  const big = Buffer.alloc(DEFAULT_DIFF_LIMITS.maxTextBytes + 1, 'a');
  const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} ${i} ${(i * 7919) % 1000}`).join('\n');
  const d = diffFiles(
    files({
      'same.js': 'x',
      'gone.js': 'a\nb\n',
      'img.png': Buffer.from([0x89, 0x50, 0, 1]),
      'huge.js': 'a',
      'shuffled.js': lines(20000, 'old'),
    }),
    files({
      'same.js': 'x',
      'new.js': 'c\n',
      'img.png': Buffer.from([0x89, 0x50, 0, 2]),
      'huge.js': big,
      'shuffled.js': lines(20000, 'new'),
      'long.js': `${'y'.repeat(5000)}\n`,
    }),
  );
  const by = Object.fromEntries(d.files.map((f) => [f.path, f]));
  assert.equal(d.unchangedFiles, 1);
  assert.deepEqual(
    [by['new.js']!.change, by['new.js']!.added, by['new.js']!.hunks![0]!.lines[0]],
    ['added', 1, { t: '+', b: 1, text: 'c' }],
  );
  assert.deepEqual([by['gone.js']!.change, by['gone.js']!.removed], ['removed', 2]);
  assert.equal(unifiedText(by['new.js']!), '--- /dev/null\n+++ b/new.js\n@@ -0,0 +1,1 @@\n+c\n');
  assert.deepEqual([by['img.png']!.kind, by['img.png']!.hunks], ['binary', null]);
  assert.deepEqual([by['huge.js']!.kind, by['huge.js']!.hunks, by['huge.js']!.newSize], ['large', null, big.length]);
  assert.equal(by['shuffled.js']!.kind, 'too-different');
  const long = by['long.js']!.hunks![0]!.lines[0]!;
  assert.deepEqual([long.text.length, long.cut], [DEFAULT_DIFF_LIMITS.maxLineChars, true]);
  const capped = diffFiles(new Map(), files({ 'a.js': lines(5000, 'a'), 'b.js': 'b\n' }), {
    ...DEFAULT_DIFF_LIMITS,
    maxLinesPerFile: 100,
    maxLinesTotal: 100,
  });
  assert.deepEqual([capped.files[0]!.hunks![0]!.lines.length, capped.files[0]!.omittedLines], [100, 4900]);
  assert.equal(capped.files[1]!.hunks, null, 'the review line budget is spent');
  assert.match(capped.files[1]!.summary!, /cordon show --diff/);
});

test('the metadata diff names every kind of dependency, scripts, bins, engines, people and provenance', () => {
  const before = {
    name: '@a/x',
    version: '1.0.0',
    description: 'old',
    scripts: { test: 'x' },
    dependencies: { a: '^1' },
    bin: 'cli.js',
    engines: { node: '>=18' },
    _npmUser: { name: 'amy' },
    maintainers: [{ name: 'amy' }],
    dist: { attestations: { url: 'u', provenance: { predicateType: 'https://slsa.dev/provenance/v1' } } },
  };
  const after = {
    name: '@a/x',
    version: '1.0.1',
    description: '<img src=x onerror=alert(1)>',
    scripts: { test: 'x', postinstall: 'node p.js' },
    dependencies: { a: '^2' },
    optionalDependencies: { o: '1' },
    peerDependencies: { p: '*' },
    bundleDependencies: ['b'],
    devDependencies: { d: '1' },
    bin: { x: 'cli.js', y: 'y.js' },
    engines: { node: '>=20' },
    os: ['linux'],
    _npmUser: { name: 'mallory', email: 'm@evil' },
    maintainers: [{ name: 'amy' }, { name: 'mallory' }],
    dist: {},
  };
  const sections = Object.fromEntries(metadataDiff(before, after).map((s) => [s.name, s.changes]));
  assert.deepEqual(sections.scripts, [{ key: 'postinstall', before: null, after: 'node p.js' }]);
  assert.deepEqual(sections.dependencies, [{ key: 'a', before: '^1', after: '^2' }]);
  for (const kind of ['optionalDependencies', 'peerDependencies', 'bundleDependencies', 'devDependencies'])
    assert.equal(sections[kind]!.length, 1, kind);
  assert.deepEqual(sections.bin, [{ key: 'y', before: null, after: 'y.js' }]);
  assert.deepEqual(sections.engines, [{ key: 'node', before: '>=18', after: '>=20' }]);
  assert.deepEqual(sections['os and cpu'], [{ key: 'os linux', before: null, after: 'yes' }]);
  assert.deepEqual(sections.publisher, [{ key: 'publisher', before: 'amy', after: 'mallory <m@evil>' }]);
  assert.deepEqual(sections.maintainers, [{ key: 'mallory', before: null, after: 'maintainer' }]);
  assert.deepEqual(sections.provenance, [{ key: 'attestation', before: 'present (https://slsa.dev/provenance/v1)', after: 'none' }]);
  assert.deepEqual(sections.package, [{ key: 'description', before: 'old', after: '<img src=x onerror=alert(1)>' }]);
});
