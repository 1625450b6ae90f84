/**
 * The one processor both runners share: take the verified bytes of the new and the previous version
 * from the content-addressed store (downloading and verifying them against their pinned digests when
 * the store lacks them), read them in memory, diff them. It never asks upstream which bytes a version
 * has: the mirror pinned them at first sight, and it serves the same bytes from the same store.
 */
import { analyze, compareFindings, findingsDigest, ANALYZER_VERSION, type AnalyzeOptions } from '../analyzer';
import { BlobStore } from '../blobs/blob-store';
import { BlobError } from '../blobs/errors';
import { parsePinned } from '../policy/digest-pin';
import { TarballError } from '../tarball/errors';
import { fetchVersion, type FetchedVersion } from '../upstream/version-bytes';
import { AnalysisError, type AnalysisJobData, type AnalysisOutput, type JobSide } from './analysis-job';
import { fetchAttestations } from '../upstream/attestations-client';
import { publicGoodTrust } from '../provenance/trusted-root';
import { previousProvenanceOf, provenanceOf, type ProvenanceDeps } from './provenance-step';

/** What the processor needs from its host. */
export interface ProcessorDeps {
  /** The verified store to read from (and to fill when it lacks the bytes). */
  readonly blobs: BlobStore;
  /** Shared across jobs of one worker so identical files are scanned once. */
  readonly cache?: AnalyzeOptions['cache'];
  /** Attestation fetching and trust material; default: the job's upstream and the embedded public-good root. */
  readonly provenance?: ProvenanceDeps;
}

const defaultProvenance: ProvenanceDeps = { fetchAttestations: (u, n, v, url) => fetchAttestations(u, n, v, url), trust: publicGoodTrust };

function failure(err: unknown, what: string): AnalysisError {
  if (err instanceof AnalysisError) return err;
  if (err instanceof BlobError) {
    switch (err.code) {
      case 'DIGEST_MISMATCH':
        return new AnalysisError('INTEGRITY_MISMATCH', err.message, { cause: err });
      case 'TOO_LARGE':
        return new AnalysisError('TARBALL_TOO_LARGE', `the tarball of ${what} is too large to analyse: ${err.message}`, { cause: err });
      case 'UPSTREAM_NOT_FOUND':
        return new AnalysisError('VERSION_WITHDRAWN', `the tarball of ${what} is no longer on the upstream registry (${err.message})`, {
          cause: err,
        });
      default:
        return new AnalysisError('TRANSIENT', `${what}: ${err.message}`, { cause: err });
    }
  }
  return new AnalysisError('TRANSIENT', `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/** The verified bytes of one side (their sha512, their files on demand). */
async function bytesOf(side: JobSide, name: string, blobs: BlobStore): Promise<FetchedVersion> {
  const what = `${name}@${side.version}`;
  const pin = parsePinned(side.integrity);
  if (!pin)
    throw new AnalysisError('INTEGRITY_MISMATCH', `${what} has no single pinned digest (${side.integrity}); its bytes cannot be verified`);
  if (!/^https?:\/\//i.test(side.tarballUrl)) throw new AnalysisError('BAD_TARBALL_URL', `there is no http(s) tarball address for ${what}`);
  try {
    return await fetchVersion(blobs, {
      name,
      version: side.version,
      integrity: side.integrity,
      tarballUrl: side.tarballUrl,
      blob: side.blob,
    });
  } catch (err) {
    throw failure(err, what);
  }
}

function unpack(side: FetchedVersion, what: string): ReturnType<FetchedVersion['unpack']> {
  try {
    return side.unpack();
  } catch (err) {
    if (err instanceof TarballError)
      throw new AnalysisError('TARBALL_UNREADABLE', `the tarball of ${what} cannot be read: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Analyses one version against its previous one. Throws AnalysisError; `retryable` tells a runner whether to try again. */
export async function processAnalysis(job: AnalysisJobData, deps: ProcessorDeps): Promise<AnalysisOutput> {
  const started = performance.now();
  const { question } = job;
  const deadline = job.budget ? started + job.budget.timeMs : Number.POSITIVE_INFINITY;
  const name = question.package;
  const next = await bytesOf(job.next, name, deps.blobs);
  const previous = job.previous ? await bytesOf(job.previous, name, deps.blobs) : null;
  const fetched = performance.now();

  // Attestations vouch for the verified bytes or block the version; the previous version's only give a source to compare.
  const provenanceDeps = deps.provenance ?? defaultProvenance;
  const digestOf = (sri: string): Buffer => Buffer.from(sri.slice('sha512-'.length), 'base64');
  const provenance = job.next.manifest
    ? await provenanceOf(job.upstream, name, job.next.version, job.next.manifest, digestOf(next.sha512), provenanceDeps)
    : null;
  const prevProvenance =
    previous && job.previous!.manifest
      ? await previousProvenanceOf(
          job.upstream,
          name,
          job.previous!.version,
          job.previous!.manifest,
          digestOf(previous.sha512),
          provenanceDeps,
        )
      : undefined;

  const nextContents = unpack(next, `${name}@${job.next.version}`);
  const prevContents = previous ? unpack(previous, `${name}@${job.previous!.version}`) : null;
  const unpacked = performance.now();

  const report = analyze(
    prevContents
      ? { manifest: job.previous!.manifest, files: prevContents.files, anomalies: prevContents.anomalies, provenance: prevProvenance }
      : null,
    { manifest: job.next.manifest, files: nextContents.files, anomalies: nextContents.anomalies, provenance },
    {
      cache: deps.cache,
      dependencies: new Map(job.dependencies.map((d) => [d.name, d])),
      now: job.preparedAt,
      youngDependency: job.youngDependency,
      budget: job.budget
        ? {
            maxFileBytes: job.budget.maxFileParseBytes,
            maxTotalBytes: job.budget.maxTotalParseBytes,
            outOfTime: () => performance.now() > deadline,
          }
        : undefined,
    },
  );
  const done = performance.now();
  // What the mirror found when it prepared the job (new package, burst) is part of the answer.
  const extra = job.mirrorFindings ?? [];
  const findings = extra.length ? [...report.findings, ...extra].sort(compareFindings) : report.findings;
  return {
    question: { ...question, analyzerVersion: ANALYZER_VERSION },
    findings,
    digest: extra.length ? findingsDigest(findings) : report.digest,
    maxSeverity: extra.length ? findings[0]!.severity : report.maxSeverity,
    analyzerVersion: report.analyzerVersion,
    previousVersion: job.previous ? job.previous.version : null,
    blobs: { next: next.sha512, previous: previous?.sha512 ?? null },
    timings: {
      fetchMs: Math.round(fetched - started),
      unpackMs: Math.round(unpacked - fetched),
      analyzeMs: Math.round(done - unpacked),
      totalMs: Math.round(done - started),
    },
  };
}

const stores = new Map<string, BlobStore>();

/** One BlobStore per folder in this thread or process, so concurrent jobs share downloads. */
export function blobStoreFor(dir: string, limits: AnalysisJobData['limits']): BlobStore {
  const key = `${dir}\0${limits.maxTarballBytes}\0${limits.tarballTimeoutMs}`;
  let store = stores.get(key);
  if (!store) {
    store = new BlobStore(dir, { maxBytes: limits.maxTarballBytes, timeoutMs: limits.tarballTimeoutMs });
    stores.set(key, store);
  }
  return store;
}
