import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffLines, unifiedDiff } from '../../server/approvals/unified-diff';

const dir = mkdtempSync(join(tmpdir(), 'cordon-diff-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Applies a unified diff with the system's `patch` and returns the result: the diff must be valid and exact. */
function applyWithPatch(oldText: string, diff: string): string {
  const file = join(dir, 'f.txt');
  writeFileSync(file, oldText);
  writeFileSync(`${file}.diff`, diff);
  const r = spawnSync('patch', ['-s', '--no-backup-if-mismatch', file, `${file}.diff`]);
  assert.equal(r.status, 0, r.stderr.toString() + r.stdout.toString());
  return require('node:fs').readFileSync(file, 'utf8') as string;
}

/** Length of a longest common subsequence, by dynamic programming: what a minimal diff keeps. */
function lcs(a: readonly string[], b: readonly string[]): number {
  let row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const next = [0];
    for (let j = 0; j < b.length; j++) next.push(x === b[j] ? row[j]! + 1 : Math.max(row[j + 1]!, next[j]!));
    row = next;
  }
  return row[b.length]!;
}

const seeded = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);

test('random edits: the diff is minimal and patch(1) turns old into new', () => {
  const rnd = seeded(7);
  for (let round = 0; round < 40; round++) {
    const a = Array.from({ length: rnd() % 60 }, () => `line ${rnd() % 12}`);
    const b = [...a];
    for (let e = rnd() % 8; e > 0; e--) {
      const at = b.length ? rnd() % b.length : 0;
      if (rnd() % 2) b.splice(at, 1);
      else b.splice(at, 0, `new ${rnd() % 5}`);
    }
    const oldText = a.map((l) => `${l}\n`).join('');
    const newText = b.map((l) => `${l}\n`).join('');
    const ops = diffLines(a, b)!;
    assert.deepEqual(ops.filter((o) => o.kind !== '+').map((o) => o.line), a);
    assert.deepEqual(ops.filter((o) => o.kind !== '-').map((o) => o.line), b);
    assert.equal(ops.filter((o) => o.kind !== ' ').length, a.length + b.length - 2 * lcs(a, b), `round ${round}: not a minimal diff`);
    const diff = unifiedDiff('f.txt', oldText, newText)!;
    if (oldText === newText) assert.equal(diff, '');
    else assert.equal(applyWithPatch(oldText, diff), newText, `round ${round}`);
  }
});

test('added and removed files, and the bound on work', () => {
  assert.equal(unifiedDiff('x.js', null, 'a\nb\n'), '--- /dev/null\n+++ b/x.js\n@@ -0,0 +1,2 @@\n+a\n+b\n');
  assert.equal(unifiedDiff('x.js', 'a\n', null), '--- a/x.js\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\n');
  const big = Array.from({ length: 3000 }, (_, i) => `${i}`);
  assert.equal(diffLines(big, big.map((l) => `${l}x`), 100), null);
});
