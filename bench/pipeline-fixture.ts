/**
 * The packages the pipeline benchmark analyses: each has one version released long ago and a series
 * of new versions inside the cooldown, each changing a few source files of a few dozen, and every
 * fifth adding an install script (so it is held). Plus one package with only released versions,
 * whose packument the latency load reads while the others are analysed.
 */
import { packTarball } from '../test/helpers/pack-tarball';
import type { FakeUpstream } from '../test/helpers/fake-upstream';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Names and counts of the fixture. */
export interface PipelineFixture {
  /** Packages with versions to analyse. */
  readonly packages: readonly string[];
  /** The new (quarantined) versions of each package; each becomes one analysis job. */
  readonly newVersions: readonly string[];
  /** Versions that add an install script and should end `held`. */
  readonly withInstallScript: number;
  /** The package the latency load reads; none of its versions is analysed. */
  readonly servePackage: string;
  readonly serveVersions: number;
}

/** Source files per tarball, and how many of them each new version rewrites. */
export const SOURCE_FILES = 36;
export const CHANGED_PER_VERSION = 4;
const INSTALL_EVERY = 5;

/** One function of generated library code, ~300 bytes; `salt` varies names and constants. */
function fn(file: number, i: number, salt: number): string {
  const k = (file * 131 + i * 17 + salt * 7919) % 9973;
  return [
    `function step${i}_${k}(input, options = {}) {`,
    `  const limit = options.limit ?? ${(k % 97) + 3};`,
    `  const out = [];`,
    `  for (let n = 0; n < Math.min(input.length, limit); n++) {`,
    `    const value = input[n];`,
    `    if (value == null) continue;`,
    `    out.push(typeof value === 'string' ? value.trim().slice(0, ${(k % 40) + 8}) : helpers.normalize(value, ${k % 13}));`,
    `  }`,
    `  return out.length ? out : options.fallback ?? [];`,
    `}`,
    `exports.step${i}_${k} = step${i}_${k};`,
    '',
  ].join('\n');
}

/**
 * Source file `file` of a package; `salt` 0 is the released text, another salt rewrites its body.
 * Rewritten files add `require`/`Buffer` lines so the analyzer parses them (it skips changed files
 * whose new lines could not carry a capability), using only what the released version already does.
 */
function sourceFile(pkg: number, file: number, salt: number): string {
  const head = [
    `'use strict';`,
    `// ${`lib/part-${file}.js`}: generated benchmark code for package ${pkg}, revision ${salt}`,
    `const helpers = require('./helpers');`,
    salt
      ? `const codec = require('./codec-${file % 3}');\nconst tag = Buffer.from('r${salt}-${file}').toString('hex');`
      : `const tag = 'base-${file}';`,
    `exports.tag = tag;`,
    '',
  ];
  const body = Array.from({ length: 10 }, (_, i) => fn(file + pkg * SOURCE_FILES, i, salt));
  return head.join('\n') + body.join('\n');
}

function helperFiles(pkg: number): Record<string, string> {
  const files: Record<string, string> = {
    'lib/helpers.js': `'use strict';\nconst { inspect } = require('util');\nexports.normalize = (v, depth) => (typeof v === 'object' ? inspect(v, { depth }) : String(v));\nexports.pkg = ${pkg};\n`,
  };
  for (let c = 0; c < 3; c++)
    files[`lib/codec-${c}.js`] =
      `'use strict';\nexports.encode = (s) => Buffer.from(String(s)).toString('base64');\nexports.decode = (s) => Buffer.from(String(s), 'base64').toString();\nexports.id = ${c};\n`;
  return files;
}

/** The files of version number `v` (0 = the released baseline) of package `pkg`. */
function filesOf(pkg: number, v: number): Record<string, string> {
  const files = helperFiles(pkg);
  const changed = new Set(Array.from({ length: CHANGED_PER_VERSION }, (_, j) => (v * 7 + j * 9) % SOURCE_FILES));
  for (let f = 0; f < SOURCE_FILES; f++) files[`lib/part-${f}.js`] = sourceFile(pkg, f, v > 0 && changed.has(f) ? v : 0);
  files['index.js'] =
    `'use strict';\n${Array.from({ length: SOURCE_FILES }, (_, f) => `exports.part${f} = require('./lib/part-${f}');`).join('\n')}\n`;
  files['README.md'] = `# bench-pipeline-${pkg}\n\n${'Generated benchmark package. '.repeat(60)}\n`;
  if (v > 0 && v % INSTALL_EVERY === 0)
    files['scripts/setup.js'] = `'use strict';\nconst helpers = require('../lib/helpers');\nconsole.log('configured', helpers.pkg);\n`;
  return files;
}

/** The fixture's names and counts, without publishing anything. */
export function pipelineFixture(packages: number, versionsPerPackage: number): PipelineFixture {
  const newVersions = Array.from({ length: versionsPerPackage }, (_, i) => `1.0.${i + 1}`);
  return {
    packages: Array.from({ length: packages }, (_, p) => `bench-pipeline-${p}`),
    newVersions,
    withInstallScript: packages * Math.floor(versionsPerPackage / INSTALL_EVERY),
    servePackage: 'bench-serve',
    serveVersions: 150,
  };
}

/** Publishes the fixture on `upstream`, with publish times relative to `now`; returns the mean tarball size. */
export function publishPipelineFixture(
  upstream: FakeUpstream,
  fixture: PipelineFixture,
  now: number,
): { tarballs: number; meanBytes: number } {
  let bytes = 0;
  let tarballs = 0;
  const manifest = (name: string) => ({
    description: `Benchmark package ${name}`,
    main: 'index.js',
    license: 'MIT',
    repository: { type: 'git', url: `git+https://github.com/example/${name}.git` },
  });
  fixture.packages.forEach((name, p) => {
    const versions = ['1.0.0', ...fixture.newVersions];
    versions.forEach((version, v) => {
      const scripts = v > 0 && v % INSTALL_EVERY === 0 ? { postinstall: 'node scripts/setup.js' } : undefined;
      // The baseline is long released; the new ones arrive ten minutes apart within the last hours.
      const time = v === 0 ? now - 30 * DAY : now - (versions.length - v) * 10 * 60_000;
      const out = upstream.publish(name, version, { time, files: filesOf(p, v), scripts, manifest: manifest(name) });
      bytes += out.tarball.length;
      tarballs++;
    });
  });
  const serveTarball = packTarball({
    'package.json': JSON.stringify({ name: fixture.servePackage, version: '1.0.0' }),
    'index.js': 'module.exports = 1;\n',
  });
  for (let i = 0; i < fixture.serveVersions; i++) {
    upstream.publish(fixture.servePackage, `${1 + Math.floor(i / 10)}.${i % 10}.0`, {
      time: now - 400 * DAY + i * DAY,
      tarball: serveTarball,
      dependencies: { semver: '^7.6.3', debug: '^4.3.4' },
      manifest: manifest(fixture.servePackage),
    });
  }
  return { tarballs, meanBytes: bytes / tarballs };
}
