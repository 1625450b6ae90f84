/**
 * `npm run bench:real-upgrades`: runs the analyzer on the last PAIRS (env, default 5) consecutive
 * stable upgrades up to latest of a sample of popular packages and on known install-script introductions, and
 * prints which would be held at holdAt=medium and by which rules. Tarballs and packuments are
 * cached in .cache/real-upgrades (outside git).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as semver from 'semver';
import { analyze } from '../server/analyzer/analyze';
import { loadConfig } from '../server/config';
import { useParser } from '../server/analyzer/code/scan-file';
import { dependenciesToCheck, dependencyFacts, type DependencyFacts } from '../server/analyzer/rules/young-dependencies';
import { UpstreamError } from '../server/upstream/errors';
import { severityAtLeast } from '../server/analyzer/severity';
import type { Manifest, Report } from '../server/analyzer/types';
import { readTarball } from '../server/tarball/read-tarball';
import { fetchPackument, fetchTarball, type Packument } from '../server/upstream/registry-client';

const UPSTREAM = 'https://registry.npmjs.org/';
const CACHE = join(resolve(__dirname, '..', '..'), '.cache', 'real-upgrades');
const HOLD_AT = 'medium';
const PAIRS = Math.max(1, Number(process.env.PAIRS ?? 5));
// PARSER=babel measures the same upgrades with Babel alone (oxc reads code first by default)
const PARSER = process.env.PARSER === 'babel' ? 'babel' : 'oxc';
// The mirror's parse budget (CORDON_ANALYSIS_PARSE_BUDGET, per file; eight times that per analysis), so the
// verdicts are the ones the mirror would reach. PARSE_BUDGET_MB overrides it.
const PARSE_BUDGET = Number(process.env.PARSE_BUDGET_MB ?? 0) * 1024 * 1024 || loadConfig({}, process.cwd()).analysisParseBudgetBytes;
const SAMPLE = [
  'react',
  'react-dom',
  'lodash',
  'express',
  'axios',
  'chalk',
  'debug',
  'commander',
  'yargs',
  'semver',
  'uuid',
  'dotenv',
  'moment',
  'dayjs',
  'eslint',
  'prettier',
  'webpack',
  'rollup',
  'vite',
  'esbuild',
  'jest',
  'mocha',
  'ws',
  'body-parser',
  'glob',
  'minimist',
  'fs-extra',
  'rimraf',
  'mkdirp',
  'classnames',
  'tslib',
  'rxjs',
  'zod',
  'date-fns',
  'qs',
  'cookie',
  'cors',
  'node-fetch',
  '@babel/core',
  'vue',
  'sharp',
  'pg',
  'mongoose',
  'socket.io',
  'jsonwebtoken',
  'inquirer',
];
/** Packages whose first release with a postinstall is looked up in the packument and analysed. */
const INTRODUCTIONS = ['core-js', 'nodemon'];

async function packument(name: string): Promise<Packument> {
  const file = join(CACHE, `${name.replace('/', '+')}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Packument;
  const doc = await fetchPackument(UPSTREAM, name);
  writeFileSync(file, JSON.stringify(doc));
  return doc;
}

async function side(name: string, doc: Packument, version: string) {
  const manifest = doc.versions[version] as Manifest;
  const file = join(CACHE, `${name.replace('/', '+')}-${version}.tgz`);
  const bytes = existsSync(file) ? readFileSync(file) : await fetchTarball(manifest.dist!.tarball!);
  if (!existsSync(file)) writeFileSync(file, bytes);
  return { manifest, ...readTarball(bytes) };
}

function stableVersions(doc: Packument): string[] {
  return Object.keys(doc.versions)
    .filter((v) => semver.valid(v) && !semver.prerelease(v))
    .sort(semver.compare);
}

/** What upstream says about a dependency, as the pipeline would give it to the analyzer (404: unknown). */
async function facts(name: string, asOf: number): Promise<DependencyFacts> {
  try {
    return dependencyFacts(await packument(name), asOf);
  } catch (err) {
    if (err instanceof UpstreamError && err.code === 'UPSTREAM_NOT_FOUND') return dependencyFacts(null);
    throw err;
  }
}

async function run(name: string, from: string, to: string, doc: Packument): Promise<{ report: Report; ms: number }> {
  const [a, b] = [await side(name, doc, from), await side(name, doc, to)];
  // Dependencies are judged as the mirror would have judged them when the version was published.
  const now = Date.parse(doc.time?.[to] ?? '') || Date.now();
  const dependencies = new Map<string, DependencyFacts>();
  for (const dep of dependenciesToCheck(a, b)) dependencies.set(dep, await facts(dep, now));
  const start = process.hrtime.bigint();
  const report = analyze(a, b, { dependencies, now, budget: { maxFileBytes: PARSE_BUDGET, maxTotalBytes: PARSE_BUDGET * 8 } });
  return { report, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

function holdRules(report: Report): string[] {
  return [...new Set(report.findings.filter((f) => severityAtLeast(f.severity, HOLD_AT)).map((f) => `${f.rule}:${f.severity}`))];
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  useParser(PARSER);
  console.log(`parser: ${PARSER}; parse budget ${(PARSE_BUDGET / 1048576).toFixed(0)} MB per file`);
  let held = 0;
  let done = 0;
  const causes = new Map<string, number>();
  console.log(`ordinary upgrades (the last ${PAIRS} consecutive stable upgrades up to latest), held when a finding is ≥ ${HOLD_AT}\n`);
  const heldPackages = new Set<string>();
  const measuredPackages = new Set<string>();
  for (const name of SAMPLE) {
    try {
      const doc = await packument(name);
      const latest = doc['dist-tags']?.latest;
      const versions = stableVersions(doc).filter((v) => !latest || semver.lte(v, latest));
      const tail = versions.slice(-(PAIRS + 1));
      for (let i = 1; i < tail.length; i++) {
        const [from, to] = [tail[i - 1]!, tail[i]!];
        const { report, ms } = await run(name, from, to, doc);
        const rules = holdRules(report);
        done++;
        measuredPackages.add(name);
        if (rules.length > 0) {
          held++;
          heldPackages.add(name);
        }
        for (const r of rules) causes.set(r.split(':')[0]!, (causes.get(r.split(':')[0]!) ?? 0) + 1);
        const low = report.findings.filter((f) => !severityAtLeast(f.severity, HOLD_AT)).length;
        console.log(
          `${rules.length ? 'HELD ' : 'quiet'} ${name} ${from}→${to} (${ms.toFixed(0)} ms, ${low} below ${HOLD_AT})${rules.length ? ` ${rules.join(', ')}` : ''}`,
        );
        for (const f of report.findings.filter((x) => severityAtLeast(x.severity, HOLD_AT)).slice(0, 4)) {
          console.log(`        ${f.rule} ${f.file ?? ''}${f.line ? `:${f.line}` : ''} ${f.evidence ?? ''}`.slice(0, 200));
        }
      }
    } catch (err) {
      console.log(`error ${name}: ${(err as Error).message}`);
    }
  }
  console.log(
    `\nheld ${held} of ${done} ordinary upgrades (${((100 * held) / Math.max(done, 1)).toFixed(1)}%), in ${heldPackages.size} of ${measuredPackages.size} packages measured (${SAMPLE.length - measuredPackages.size} of the sample failed or had too few versions)`,
  );
  console.log(
    `rules causing holds: ${
      [...causes]
        .sort((a, b) => b[1] - a[1])
        .map(([r, n]) => `${r} ×${n}`)
        .join(', ') || 'none'
    }\n`,
  );
  console.log('known install-script introductions\n');
  for (const name of INTRODUCTIONS) {
    const doc = await packument(name);
    // semver order: some packuments carry rewritten publish times
    const versions = Object.keys(doc.versions)
      .filter((v) => semver.valid(v))
      .sort(semver.compare);
    const index = versions.findIndex((v) => typeof (doc.versions[v] as Manifest).scripts?.postinstall === 'string');
    if (index <= 0) {
      console.log(`${name}: no introduction found`);
      continue;
    }
    const [from, to] = [versions[index - 1]!, versions[index]!];
    const { report } = await run(name, from, to, doc);
    const rules = holdRules(report);
    console.log(
      `${rules.length ? 'HELD ' : 'MISSED'} ${name} ${from}→${to} (first postinstall: ${(doc.versions[to] as Manifest).scripts!.postinstall}) ${rules.join(', ')}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
