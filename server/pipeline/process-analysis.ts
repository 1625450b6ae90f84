/**
 * The one processor both runners share: fetch the new and the previous tarball, check each against
 * the integrity the mirror recorded and upstream still publishes, read them in memory, diff them.
 */
import { analyze, type AnalyzeOptions } from '../analyzer';
import { integrityChanged, integrityOf, matchesIntegrity } from '../policy/manifest';
import { readTarball } from '../tarball/read-tarball';
import { TarballError } from '../tarball/errors';
import { fetchPackument, fetchTarball, type Packument } from '../upstream/registry-client';
import { UpstreamError } from '../upstream/errors';
import { AnalysisError, type AnalysisJobData, type AnalysisOutput } from './analysis-job';
import { createHash } from 'node:crypto';
import { fetchAttestations } from '../upstream/attestations-client';
import { publicGoodTrust } from '../provenance/trusted-root';
import { previousProvenanceOf, provenanceOf, type ProvenanceDeps } from './provenance-step';

/** The network edges of the processor, replaceable in tests. */
export interface ProcessorDeps {
  readonly fetchPackument: (upstream: string, name: string) => Promise<Packument>;
  readonly fetchTarball: (url: string) => Promise<Buffer>;
  /** Shared across jobs of one worker so identical files are scanned once. */
  readonly cache?: AnalyzeOptions['cache'];
  /** Attestation fetching and trust material; default: the configured upstream and the embedded public-good root. */
  readonly provenance?: ProvenanceDeps;
}

const defaultProvenance: ProvenanceDeps = { fetchAttestations: (u, n, v, url) => fetchAttestations(u, n, v, url), trust: publicGoodTrust };
const defaultDeps: ProcessorDeps = { fetchPackument: (u, n) => fetchPackument(u, n), fetchTarball: (url) => fetchTarball(url) };
const sha512 = (bytes: Buffer): Buffer => createHash('sha512').update(bytes).digest();

/** Checks bytes against the integrity the mirror recorded (`sha512-… sha1-…`). */
function verifyAgainst(bytes: Buffer, sri: string, what: string): void {
  if (!matchesIntegrity(bytes, sri)) throw new AnalysisError('INTEGRITY_MISMATCH', `the tarball of ${what} does not match its recorded integrity ${sri}`);
}

function tarballUrl(packument: Packument, version: string, what: string): string {
  const url = packument.versions[version]?.dist?.tarball;
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) throw new AnalysisError('BAD_TARBALL_URL', `upstream gives no http(s) tarball URL for ${what}`);
  return url;
}

async function upstream<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof UpstreamError && err.code === 'UPSTREAM_INTEGRITY_MISMATCH') throw new AnalysisError('INTEGRITY_MISMATCH', `${what}: ${err.message}`, { cause: err });
    if (err instanceof UpstreamError && err.code === 'UPSTREAM_NOT_FOUND') throw new AnalysisError('VERSION_WITHDRAWN', `${what} is no longer on the upstream registry`, { cause: err });
    if (err instanceof UpstreamError && err.code === 'UPSTREAM_TOO_LARGE') throw new AnalysisError('TARBALL_UNREADABLE', `${what}: ${err.message}`, { cause: err });
    throw new AnalysisError('TRANSIENT', `${what}: ${(err as Error).message}`, { cause: err });
  }
}

function unpack(bytes: Buffer, what: string): ReturnType<typeof readTarball> {
  try {
    return readTarball(bytes);
  } catch (err) {
    if (err instanceof TarballError) throw new AnalysisError('TARBALL_UNREADABLE', `the tarball of ${what} cannot be read: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Analyses one version against its previous one. Throws AnalysisError; `retryable` tells a runner whether to try again. */
export async function processAnalysis(job: AnalysisJobData, deps: ProcessorDeps = defaultDeps): Promise<AnalysisOutput> {
  const started = performance.now();
  const id = `${job.package}@${job.version}`;
  const packument = await upstream(job.package, () => deps.fetchPackument(job.upstream, job.package));
  const manifest = packument.versions[job.version];
  if (!manifest) throw new AnalysisError('VERSION_WITHDRAWN', `upstream no longer lists ${id}`);
  const published = integrityOf(manifest as never);
  if (published === null || integrityChanged(job.integrity, published)) {
    throw new AnalysisError('INTEGRITY_MISMATCH', `upstream now publishes ${id} with integrity ${published ?? '(none)'}, not the ${job.integrity} the mirror recorded`);
  }
  const nextBytes = await upstream(id, () => deps.fetchTarball(tarballUrl(packument, job.version, id)));
  verifyAgainst(nextBytes, job.integrity, id);

  let previous: { manifest: Record<string, unknown>; bytes: Buffer } | null = null;
  if (job.previousVersion) {
    const prevId = `${job.package}@${job.previousVersion}`;
    const prevManifest = packument.versions[job.previousVersion];
    const prevIntegrity = prevManifest ? integrityOf(prevManifest as never) : null;
    if (prevManifest && prevIntegrity) {
      const bytes = await upstream(prevId, () => deps.fetchTarball(tarballUrl(packument, job.previousVersion!, prevId)));
      verifyAgainst(bytes, prevIntegrity, prevId);
      previous = { manifest: prevManifest, bytes };
    }
    // A previous version upstream no longer has cannot be compared against: everything counts as new.
  }
  const provenanceDeps = deps.provenance ?? defaultProvenance;
  const provenance = await provenanceOf(job.upstream, job.package, job.version, manifest, sha512(nextBytes), provenanceDeps);
  const prevProvenance = previous ? await previousProvenanceOf(job.upstream, job.package, job.previousVersion!, previous.manifest, sha512(previous.bytes), provenanceDeps) : undefined;
  const fetched = performance.now();

  const nextContents = unpack(nextBytes, id);
  const prevContents = previous ? unpack(previous.bytes, `${job.package}@${job.previousVersion}`) : null;
  const unpacked = performance.now();

  const report = analyze(
    prevContents ? { manifest: previous!.manifest, files: prevContents.files, anomalies: prevContents.anomalies, provenance: prevProvenance } : null,
    { manifest, files: nextContents.files, anomalies: nextContents.anomalies, provenance },
    { cache: deps.cache },
  );
  const done = performance.now();
  return {
    findings: report.findings,
    digest: report.digest,
    maxSeverity: report.maxSeverity,
    analyzerVersion: report.analyzerVersion,
    previousVersion: previous ? job.previousVersion : null,
    timings: { fetchMs: Math.round(fetched - started), unpackMs: Math.round(unpacked - fetched), analyzeMs: Math.round(done - unpacked), totalMs: Math.round(done - started) },
  };
}
