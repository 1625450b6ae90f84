/**
 * The packages the mirror benchmark serves: a packument of a few thousand versions and a small one,
 * each with most versions long released and the newest few inside the cooldown, so Cordon filters.
 */
import { packTarball } from '../test/helpers/pack-tarball';
import type { FakeUpstream } from '../test/helpers/fake-upstream';

const HOUR = 3_600_000;

export interface BenchPackage {
  readonly name: string;
  readonly versions: number;
  /** Versions published inside the cooldown (hidden by Cordon). */
  readonly quarantined: number;
  /** A released version whose tarball the tarball rows fetch. */
  readonly tarballVersion: string;
}

/** Deterministic bytes that gzip cannot shrink. */
function pseudoRandom(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = 0x9e3779b9 ^ seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** `i` as a semver that sorts like `i`: 0 → 1.0.0, 2999 → 30.9.9. */
function versionOf(i: number): string {
  return `${1 + Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`;
}

/** Fields a real version manifest carries, so each version weighs what it does on npm (~1 KB). */
function manifestFields(name: string, i: number): Record<string, unknown> {
  return {
    description: `Benchmark package ${name}, build ${i}: a version manifest sized like a real one on the public registry.`,
    main: 'index.js',
    license: 'MIT',
    keywords: ['bench', 'cordon', 'mirror', 'quarantine'],
    repository: { type: 'git', url: `git+https://github.com/example/${name}.git` },
    author: { name: 'Example Maintainer', email: 'maintainer@example.com' },
    maintainers: [{ name: 'example', email: 'maintainer@example.com' }],
    devDependencies: { typescript: '^5.7.2', mocha: '^10.0.0', eslint: '^9.0.0' },
    engines: { node: '>=18' },
    gitHead: (i * 2654435761).toString(16).padStart(40, '0').slice(0, 40),
  };
}

/**
 * Publishes `pkg` on `upstream` relative to `now`: one version every 6 hours, so the newest
 * `pkg.quarantined` fall inside a 72h cooldown. All versions share one tarball to keep set-up fast.
 */
export function publishBenchPackage(upstream: FakeUpstream, pkg: BenchPackage, now: number, cooldownMs = 72 * HOUR): void {
  const tarball = packTarball({
    'package.json': JSON.stringify({ name: pkg.name, version: '1.0.0' }),
    'index.js': Array.from({ length: 600 }, (_, i) => `exports.f${i} = (x) => x * ${i} + ${(i * 7919) % 1000};`).join('\n'),
    'README.md': `# ${pkg.name}\n\n${'A benchmark fixture. '.repeat(200)}\n`,
    // Incompressible, so the tarball weighs about 200 KB, as the tarball row asks.
    'data.bin': pseudoRandom(200 * 1024, pkg.name.length),
  });
  const step = cooldownMs / pkg.quarantined; // the last `quarantined` versions are younger than the cooldown
  for (let i = 0; i < pkg.versions; i++) {
    const age = (pkg.versions - i) * step - step / 2;
    upstream.publish(pkg.name, versionOf(i), {
      time: now - age,
      tarball,
      dependencies: { semver: '^7.6.3', debug: '^4.3.4', ms: '^2.1.3', chalk: '^4.1.2', 'lru-cache': '^10.0.0' },
      manifest: manifestFields(pkg.name, i),
    });
  }
}

/** The two packages of the benchmark; the tarball version is the oldest one, released long ago. */
export function benchPackages(largeVersions: number): BenchPackage[] {
  return [
    { name: 'bench-large', versions: largeVersions, quarantined: 10, tarballVersion: versionOf(0) },
    { name: 'bench-small', versions: 5, quarantined: 1, tarballVersion: versionOf(0) },
  ];
}
