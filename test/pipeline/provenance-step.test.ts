import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AnalysisError, parseFailure } from '../../server/pipeline/analysis-job';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAnalysis, type ProcessorDeps } from '../../server/pipeline/process-analysis';
import type { AnalysisJobData, JobSide } from '../../server/pipeline/analysis-job';
import { BlobStore } from '../../server/blobs/blob-store';
import { ANALYZER_VERSION } from '../../server/analyzer';
import { attestationsUrl, fetchAttestations } from '../../server/upstream/attestations-client';
import { FakeUpstream } from '../helpers/fake-upstream';
import { startTestMirror, DAY, HOUR, NOW } from '../helpers/mirror';
import { TestSigstore } from '../helpers/sigstore-fixture';

const build = { repository: 'https://github.com/acme/lib', workflowPath: '.github/workflows/release.yml' };
const hex = (bytes: Buffer) => createHash('sha512').update(bytes).digest('hex');
let sigstore: TestSigstore;
let upstream: FakeUpstream;
let elsewhere: FakeUpstream;
let deps: ProcessorDeps;
const blobsDir = mkdtempSync(join(tmpdir(), 'cordon-blobs-'));
const limits = { maxTarballBytes: 10 * 1024 * 1024, tarballTimeoutMs: 10_000 };

before(async () => {
  sigstore = await TestSigstore.create();
  upstream = await new FakeUpstream().start();
  elsewhere = await new FakeUpstream().start();
  deps = {
    blobs: new BlobStore(blobsDir, { maxBytes: limits.maxTarballBytes, timeoutMs: limits.tarballTimeoutMs }),
    provenance: { fetchAttestations: (u, n, v, url) => fetchAttestations(u, n, v, url), trust: () => sigstore.trust },
  };
});
after(async () => {
  await upstream.stop();
  await elsewhere.stop();
  rmSync(blobsDir, { recursive: true, force: true });
});

/** Publishes name@version on the fake upstream, attested as built by `by` (or for `forBytes` instead of its own tarball). */
async function publishAttested(
  name: string,
  version: string,
  by: typeof build | null,
  opts: { forBytes?: Buffer; url?: string; files?: Record<string, string> } = {},
) {
  const { tarball } = upstream.publish(name, version, {
    files: opts.files ?? { 'index.js': `module.exports = ${JSON.stringify(version)};\n` },
  });
  if (by) upstream.attest(name, version, await sigstore.attestations(name, version, hex(opts.forBytes ?? tarball), by), opts.url);
}

const side = (name: string, version: string): JobSide => {
  const manifest = (upstream.packument(name)!.versions as Record<string, any>)[version];
  return { version, manifest, tarballUrl: manifest.dist.tarball, integrity: manifest.dist.integrity, blob: manifest.dist.integrity };
};

const job = (name: string, version: string, previousVersion: string | null): AnalysisJobData => {
  const next = side(name, version);
  const previous = previousVersion ? side(name, previousVersion) : null;
  return {
    id: `${name}@${version}`,
    question: {
      mirrorId: 'm',
      package: name,
      version,
      integrity: next.integrity,
      previousVersion,
      previousIntegrity: previous?.integrity ?? null,
      analyzerVersion: ANALYZER_VERSION,
    },
    next,
    previous,
    dependencies: [],
    preparedAt: NOW,
    blobsDir,
    limits,
    upstream: upstream.url,
    youngDependency: { maxAgeMs: 30 * DAY, minVersions: 3 },
  };
};

test('verified provenance from the same source is quiet; from another repository it is high', async () => {
  await publishAttested('lib-a', '1.0.0', build);
  await publishAttested('lib-a', '1.0.1', build);
  await publishAttested('lib-a', '1.0.2', { ...build, repository: 'https://github.com/mallory/lib' });
  const same = await processAnalysis(job('lib-a', '1.0.1', '1.0.0'), deps);
  assert.deepEqual(
    same.findings.filter((f) => f.category === 'metadata'),
    [],
  );
  const moved = await processAnalysis(job('lib-a', '1.0.2', '1.0.1'), deps);
  const hit = moved.findings.find((f) => f.rule === 'metadata/provenance-source-changed');
  assert.equal(hit?.severity, 'high', JSON.stringify(moved.findings));
  assert.match(hit!.evidence!, /acme\/lib → https:\/\/github\.com\/mallory\/lib/);
});

test('provenance before and none now is high', async () => {
  await publishAttested('lib-b', '1.0.0', build);
  await publishAttested('lib-b', '1.0.1', null);
  const out = await processAnalysis(job('lib-b', '1.0.1', '1.0.0'), deps);
  assert.ok(
    out.findings.some((f) => f.rule === 'metadata/provenance-dropped' && f.severity === 'high'),
    JSON.stringify(out.findings),
  );
});

test('an attestation of other bytes fails the analysis with PROVENANCE_INVALID, which is not retried', async () => {
  await publishAttested('lib-c', '1.0.0', build);
  await publishAttested('lib-c', '1.0.1', build, { forBytes: Buffer.from('the bytes the pipeline built') });
  await assert.rejects(
    processAnalysis(job('lib-c', '1.0.1', '1.0.0'), deps),
    (e: unknown) => e instanceof AnalysisError && e.code === 'PROVENANCE_INVALID' && !e.retryable && /lib-c@1\.0\.1/.test(e.message),
  );
  assert.deepEqual(parseFailure('PROVENANCE_INVALID: x'), { code: 'PROVENANCE_INVALID', message: 'x' });
});

test('a packument pointing the attestations at another host makes Cordon ask only its upstream', async () => {
  const hostile = `${elsewhere.url}-/npm/v1/attestations/lib-d@1.0.1`;
  assert.equal(attestationsUrl(upstream.url, 'lib-d', '1.0.1', hostile), `${upstream.url}-/npm/v1/attestations/lib-d@1.0.1`);
  assert.equal(attestationsUrl(upstream.url, '@acme/x', '1.0.1', 'not a url'), `${upstream.url}-/npm/v1/attestations/@acme%2fx@1.0.1`);
  await publishAttested('lib-d', '1.0.0', build);
  await publishAttested('lib-d', '1.0.1', build, { url: hostile });
  const out = await processAnalysis(job('lib-d', '1.0.1', '1.0.0'), deps);
  assert.deepEqual(
    out.findings.filter((f) => f.category === 'metadata'),
    [],
  );
  assert.deepEqual(elsewhere.requests, []);
});

test('attestations declared but not served are a transient fault (retried, then held), not a block', async () => {
  const { tarball } = upstream.publish('lib-e', '1.0.0', {});
  void tarball;
  const manifest = (upstream.packument('lib-e')!.versions as Record<string, any>)['1.0.0'];
  manifest.dist.attestations = {
    url: `${upstream.url}-/npm/v1/attestations/lib-e@1.0.0`,
    provenance: { predicateType: 'https://slsa.dev/provenance/v1' },
  };
  await assert.rejects(
    processAnalysis(job('lib-e', '1.0.0', null), deps),
    (e: unknown) => e instanceof AnalysisError && e.code === 'TRANSIENT' && e.retryable,
  );
});

test('in the mirror, an attestation that does not vouch for the bytes blocks the version, with its cause audited', async () => {
  const m = await startTestMirror({ now: NOW });
  try {
    m.upstream.publish('attested', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('attested', '1.0.1', { time: NOW - HOUR });
    // Signed by the test Sigstore, which the mirror's embedded public-good root does not trust, and about other bytes.
    m.upstream.attest('attested', '1.0.1', await sigstore.attestations('attested', '1.0.1', hex(Buffer.from('other')), build));
    await fetch(`${m.mirror.url}attested`);
    await m.mirror.pipeline.drain();
    const record = await m.mirror.runtime.store.versions.versionOf('attested', '1.0.1');
    assert.equal(record?.state, 'blocked');
    assert.match(record!.reason, /attestation/);
    assert.ok((await m.mirror.runtime.store.audit.ofPackage('attested')).some((e) => e.cause === 'provenance-invalid'));
    assert.ok(m.upstream.requests.some((r) => r.includes('/-/npm/v1/attestations/attested@1.0.1')));
  } finally {
    await m.stop();
  }
});
