/**
 * A fake upstream registry: a real HTTP server on 127.0.0.1:0 serving packuments and tarballs built
 * during the test, with integrity and shasum computed from the real bytes. Requests it does not know
 * are answered 404 and recorded in `unexpected`.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { distOf, packTarball } from './pack-tarball';

export interface VersionSpec {
  /** Publish time (epoch ms or ISO); omitted means no `time` entry for the version. */
  time?: number | string;
  files?: Record<string, string | Buffer>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  /** Extra fields merged into the version manifest. */
  manifest?: Record<string, unknown>;
  /** Prebuilt tarball bytes served instead of packing `files` (benchmarks reuse one for thousands of versions). */
  tarball?: Buffer;
  /** Fields that replace the computed ones in `dist` (a hostile integrity string, a foreign tarball URL). */
  dist?: Record<string, unknown>;
}

interface StoredVersion {
  manifest: Record<string, unknown>;
  tarball: Buffer;
  time?: string;
}

export class FakeUpstream {
  readonly requests: string[] = [];
  readonly unexpected: string[] = [];
  private readonly packages = new Map<
    string,
    { versions: Map<string, StoredVersion>; tags: Record<string, string>; extra: Record<string, unknown> }
  >();
  private server: Server | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  url = '';
  /** Milliseconds to wait before answering a tarball request (to catch a worker mid-job). */
  tarballDelayMs = 0;
  /** Answer this many upcoming tarball requests with 503 (a transient upstream fault). */
  failTarballs = 0;
  /** Answer this many upcoming tarball requests with 404 (a CDN that has not caught up with a publish). */
  notFoundTarballs = 0;
  /** Answer this many upcoming packument requests with 503. */
  failPackuments = 0;
  /** Every request: `down` destroys the connection, `garbage` answers 200 with bytes that are no packument or tarball. */
  mode: 'ok' | 'down' | 'garbage' = 'ok';
  /** Milliseconds to wait before answering a packument request (a slow upstream). */
  packumentDelayMs = 0;
  /** Replace the bytes served for these tarball basenames (a hostile or corrupted upstream). */
  readonly tarballOverrides = new Map<string, Buffer>();
  /** Packument requests answered 304 Not Modified. */
  notModified = 0;
  /** Tarball basenames answered with a body that never ends (a hostile or broken upstream). */
  readonly endlessTarballs = new Set<string>();
  /** Attestation responses by `name@version`, served at npm's `/-/npm/v1/attestations/<name>@<version>`. */
  private readonly attestationResponses = new Map<string, unknown>();

  /**
   * Serves `response` as the attestations of a published version and declares them in its manifest
   * (`dist.attestations`, pointing at `url` or at this server's standard path).
   */
  attest(name: string, version: string, response: unknown, url?: string): void {
    const stored = this.packages.get(name)?.versions.get(version);
    if (!stored) throw new Error(`publish ${name}@${version} before attesting it`);
    this.attestationResponses.set(`${name}@${version}`, response);
    const dist = stored.manifest.dist as Record<string, unknown>;
    dist.attestations = {
      url: url ?? `${this.url}-/npm/v1/attestations/${name}@${version}`,
      provenance: { predicateType: 'https://slsa.dev/provenance/v1' },
    };
  }

  /** Adds (or replaces) a version, packing its tarball now. */
  publish(name: string, version: string, spec: VersionSpec = {}): { integrity: string; shasum: string; tarball: Buffer } {
    const pkg = this.packages.get(name) ?? { versions: new Map<string, StoredVersion>(), tags: {} as Record<string, string>, extra: {} };
    this.packages.set(name, pkg);
    const packageJson = { name, version, scripts: spec.scripts, dependencies: spec.dependencies, ...spec.manifest };
    const files = {
      'package.json': JSON.stringify(packageJson, null, 2),
      'index.js': `module.exports = ${JSON.stringify(version)};\n`,
      ...spec.files,
    };
    const tarball = spec.tarball ?? packTarball(files);
    const dist = distOf(tarball);
    const base = name.slice(name.lastIndexOf('/') + 1);
    pkg.versions.set(version, {
      manifest: {
        ...packageJson,
        _id: `${name}@${version}`,
        dist: { ...dist, tarball: `${this.url}${name}/-/${base}-${version}.tgz`, ...spec.dist },
      },
      tarball,
      time: spec.time === undefined ? undefined : new Date(spec.time).toISOString(),
    });
    if (!/-/.test(version)) {
      const current = pkg.tags.latest;
      if (!current || compareLoose(version, current) > 0) pkg.tags.latest = version;
    }
    return { ...dist, tarball };
  }

  /** The bytes of a version's tarball as published. */
  tarballOf(name: string, version: string): Buffer {
    const stored = this.packages.get(name)?.versions.get(version);
    if (!stored) throw new Error(`no ${name}@${version} upstream`);
    return stored.tarball;
  }

  /** Sets a dist-tag. */
  tag(name: string, tag: string, version: string): void {
    this.packages.get(name)!.tags[tag] = version;
  }

  /** Removes a version, as an unpublish or a takedown would. */
  withdraw(name: string, version: string): void {
    this.packages.get(name)?.versions.delete(version);
  }

  /** The packument as served now. */
  packument(name: string): Record<string, unknown> | undefined {
    const pkg = this.packages.get(name);
    if (!pkg) return undefined;
    const versions: Record<string, unknown> = {};
    const time: Record<string, string> = {};
    for (const [v, stored] of pkg.versions) {
      versions[v] = stored.manifest;
      if (stored.time) time[v] = stored.time;
    }
    const times = Object.values(time).sort();
    if (times.length) {
      time.created = times[0]!;
      time.modified = times[times.length - 1]!;
    }
    return { _id: name, name, 'dist-tags': { ...pkg.tags }, versions, time, ...pkg.extra };
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = req.url ?? '/';
      this.requests.push(`${req.method} ${url}`);
      if (this.mode === 'down') {
        req.socket.destroy();
        return;
      }
      if (this.mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>502 Bad Gateway</html>');
        return;
      }
      const path = decodeURIComponent(url.split('?')[0]!).replace(/^\/+/, '');
      if (path === '-/ping') {
        // npm's registry answers this; the mirror's readiness check asks it when upstream has been quiet.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      if (path === '-/v1/search') {
        const text = new URL(url, 'http://x').searchParams.get('text') ?? '';
        const objects = [...this.packages.keys()]
          .filter((name) => name.includes(text))
          .map((name) => ({
            package: { name, version: this.packages.get(name)!.tags.latest, description: `${name} package` },
            score: { final: 1 },
            searchScore: 1,
          }));
        const body = JSON.stringify({ objects, total: objects.length, time: new Date().toUTCString() });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
        return;
      }
      if (path.startsWith('-/npm/v1/attestations/')) {
        const response = this.attestationResponses.get(path.slice('-/npm/v1/attestations/'.length));
        if (response !== undefined) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(response));
          return;
        }
      }
      const tarballMatch = /^(.+)\/-\/([^/]+)$/.exec(path);
      if (tarballMatch && this.notFoundTarballs > 0) {
        this.notFoundTarballs--;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not found"}');
        return;
      }
      if (!tarballMatch && this.failPackuments > 0 && !path.startsWith('-/')) {
        this.failPackuments--;
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":"try again"}');
        return;
      }
      if (tarballMatch && this.failTarballs > 0) {
        this.failTarballs--;
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":"try again"}');
        return;
      }
      if (tarballMatch && this.endlessTarballs.has(tarballMatch[2]!)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        pump();
        return;
      }
      if (tarballMatch) {
        const pkg = this.packages.get(tarballMatch[1]!);
        for (const [v, stored] of pkg?.versions ?? []) {
          if ((stored.manifest.dist as { tarball: string }).tarball.endsWith(`/${tarballMatch[2]}`)) {
            const bytes = this.tarballOverrides.get(tarballMatch[2]!) ?? stored.tarball;
            const timer = setTimeout(() => {
              this.timers.delete(timer);
              res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
              res.end(req.method === 'HEAD' ? undefined : bytes);
            }, this.tarballDelayMs);
            this.timers.add(timer);
            return;
          }
          void v;
        }
      } else {
        const doc = this.packument(path);
        if (doc && this.packumentDelayMs > 0) {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(doc));
          }, this.packumentDelayMs);
          this.timers.add(timer);
          return;
        }
        if (doc) {
          const body = JSON.stringify(doc);
          const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
          if (req.headers['if-none-match'] === etag) {
            this.notModified++;
            res.writeHead(304, { etag });
            res.end();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), etag });
          res.end(body);
          return;
        }
      }
      this.unexpected.push(`${req.method} ${url}`);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found' }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}

function compareLoose(a: string, b: string): number {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}
