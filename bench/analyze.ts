/**
 * `npm run bench:analyze`: analyses pairs of real tarballs and prints, side by side, the time
 * and peak memory of the analysis, of plain gunzip+untar of the same bytes, and of `npm diff`.
 * Tarballs are fetched once into .cache/bench (outside git). Each measurement runs in its own
 * process so peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { analyze } from '../server/analyzer/analyze';
import { useParser } from '../server/analyzer/code/scan-file';
import { readTarball } from '../server/tarball/read-tarball';
import { fetchTarball } from '../server/upstream/registry-client';

const ROOT = resolve(__dirname, '..', '..');
const CACHE = join(ROOT, '.cache', 'bench');
const PAIRS: Array<[name: string, from: string, to: string]> = [
  ['typescript', '5.6.2', '5.6.3'],
  ['eslint', '9.13.0', '9.14.0'],
];
const RUNS = 3;

async function cached(name: string, version: string): Promise<string> {
  const file = join(CACHE, `${name.replace('/', '+')}-${version}.tgz`);
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true });
    const base = name.split('/').pop();
    writeFileSync(file, await fetchTarball(`https://registry.npmjs.org/${name}/-/${base}-${version}.tgz`));
  }
  return file;
}

/** Runs in a child: one measurement, printed as JSON. */
function worker(mode: string, a: string, b: string): void {
  const bytes = [readFileSync(a), readFileSync(b)];
  const start = process.hrtime.bigint();
  let detail = '';
  if (mode === 'analyze' || mode === 'analyze-babel') {
    useParser(mode === 'analyze' ? 'oxc' : 'babel');
    const [prev, next] = bytes.map((buf) => ({ manifest: null, ...readTarball(buf!) }));
    const report = analyze(prev!, next!);
    detail = `${report.findings.length} findings, ${report.stats.filesChanged} changed files, ${report.stats.filesParsed} parsed`;
  } else if (mode === 'untar') {
    for (const buf of bytes) readTarball(buf);
  } else if (mode === 'gunzip') {
    for (const buf of bytes) gunzipSync(buf);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(JSON.stringify({ ms, rssMB: process.resourceUsage().maxRSS / 1024, detail }));
}

function measure(mode: string, a: string, b: string): { ms: number; rssMB: number; detail: string } {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, [__filename, '--worker', mode, a, b], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
    runs.push(JSON.parse(r.stdout) as { ms: number; rssMB: number; detail: string });
  }
  runs.sort((x, y) => x.ms - y.ms);
  return runs[Math.floor(runs.length / 2)]!;
}

function npmDiff(a: string, b: string): { ms: number; rssMB: number; detail: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'cordon-bench-'));
  try {
    writeFileSync(join(tmp, '.npmrc'), '');
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const start = process.hrtime.bigint();
      // --userconfig/--cache keep the user's ~/.npmrc and cache out of the measurement
      const r = spawnSync(
        '/usr/bin/time',
        [
          '-f',
          '%M',
          'npm',
          'diff',
          `--diff=${a}`,
          `--diff=${b}`,
          '--cache',
          join(tmp, 'cache'),
          '--userconfig',
          join(tmp, '.npmrc'),
          '--no-color',
        ],
        { cwd: tmp, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, env: { PATH: process.env.PATH ?? '', HOME: tmp } },
      );
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const kb = Number(r.stderr.trim().split('\n').pop());
      runs.push({ ms, rssMB: kb / 1024, detail: `exit ${r.status}, ${(r.stdout.length / 1024).toFixed(0)} KB of diff` });
    }
    runs.sort((x, y) => x.ms - y.ms);
    return runs[Math.floor(runs.length / 2)]!;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** `cordon analyze` as a user runs it: a whole process, timed like npm diff (start-up and module loading included). */
function cliWhole(a: string, b: string): { ms: number; rssMB: number; detail: string } {
  const bin = join(resolve(__dirname, '..', '..'), 'bin', 'cordon.js');
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, 'analyze', a, b, '--fail-on', 'critical'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    runs.push({ ms, rssMB: Number(r.stderr.trim().split('\n').pop()) / 1024, detail: `exit ${r.status}, whole process` });
  }
  runs.sort((x, y) => x.ms - y.ms);
  return runs[Math.floor(runs.length / 2)]!;
}

async function main(): Promise<void> {
  const idle = measure('idle', __filename, __filename);
  console.log(`median of ${RUNS} runs; each in its own process (an idle node process peaks at ${idle.rssMB.toFixed(0)} MB)\n`);
  console.log(['pair', 'step', 'time ms', 'peak MB', 'vs untar', 'detail'].join('\t'));
  for (const [name, from, to] of PAIRS) {
    const a = await cached(name, from);
    const b = await cached(name, to);
    const rows = {
      'gunzip only': measure('gunzip', a, b),
      'gunzip+untar': measure('untar', a, b),
      'cordon analyze': measure('analyze', a, b),
      'cordon analyze (Babel only)': measure('analyze-babel', a, b),
      'cordon analyze (CLI)': cliWhole(a, b),
      'npm diff': npmDiff(a, b),
    };
    const base = rows['gunzip+untar'].ms;
    for (const [step, r] of Object.entries(rows)) {
      console.log(
        [`${name} ${from}→${to}`, step, r.ms.toFixed(0), r.rssMB.toFixed(0), `${(r.ms / base).toFixed(1)}×`, r.detail].join('\t'),
      );
    }
  }
}

if (process.argv[2] === '--worker') worker(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
