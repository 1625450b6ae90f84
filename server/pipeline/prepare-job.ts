/**
 * The mirror's half of an analysis job, run before the job is handed to a thread or a BullMQ worker:
 * read the version's manifest from upstream (once per batch), check that upstream still shows the
 * pinned digest, and sight every registry package the version depends on that the mirror has never
 * seen — right now, so a dependency published beside the version that adds it is first seen while it
 * is young, and waits in quarantine like any other. Then it states the exact question to answer.
 */
import semver from 'semver';
import { ANALYZER_VERSION } from '../analyzer';
import type { Logger } from '../logger';
import { parsePinned, stillPinned } from '../policy/digest-pin';
import type { Packument } from '../policy/manifest';
import type { QuarantineService } from '../quarantine/quarantine-service';
import { upstreamTarballUrl } from '../quarantine/first-sight';
import type { Job } from '../../storage';
import type { VersionPort } from '../../storage/ports';
import { AnalysisError, type AnalysisJobData, type DependencyFact, type JobSide } from './analysis-job';
import { registryDependencies, registryDependencyEntries } from './dependency-names';
import { preparedFindings } from './mirror-findings';
import type { BurstSettings } from './burst';
import type { PackumentBatch } from './packument-batch';

export interface PrepareDeps {
  readonly mirrorId: string;
  readonly upstream: string;
  readonly store: {
    readonly versions: Pick<VersionPort, 'versionOf' | 'versionsOf' | 'hasPackage' | 'cleanWaiting' | 'versionsByPublisher'>;
  };
  readonly quarantine: Pick<QuarantineService, 'observe' | 'ruleFor'>;
  readonly packuments: PackumentBatch;
  readonly now: () => number;
  /** The verified store's folder when the analysis runs beside the mirror; null for BullMQ workers. */
  readonly blobsDir: string | null;
  readonly limits: AnalysisJobData['limits'];
  readonly budget?: AnalysisJobData['budget'];
  readonly youngDependency: AnalysisJobData['youngDependency'];
  /** What counts as a publish burst (the mirror's setting). */
  readonly burst: BurstSettings;
  readonly logger: Logger;
}

/** Most dependencies one version may make the mirror sight; beyond it the rest wait for a consumer. */
const MAX_SIGHTINGS = 200;

function withoutReadme(manifest: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!manifest || typeof manifest !== 'object') return null;
  const { readme: _readme, readmeFilename: _file, ...rest } = manifest;
  return rest;
}

async function upstreamPackument(deps: PrepareDeps, name: string, what: string, fresh = false): Promise<Packument | null> {
  try {
    return await deps.packuments.get(name, fresh);
  } catch (err) {
    throw new AnalysisError('TRANSIENT', `cannot read ${what} from upstream: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/**
 * Sights the registry packages `manifest` depends on that the store has never seen, and returns what
 * the store then knows of each (the analyzer weighs the ones added or widened since the previous version).
 */
async function sightDependencies(deps: PrepareDeps, forWhat: string, manifest: Record<string, unknown>): Promise<DependencyFact[]> {
  const named = registryDependencies(manifest);
  let sighted = 0;
  for (const name of named.keys()) {
    if (await deps.store.versions.hasPackage(name)) continue;
    if (++sighted > MAX_SIGHTINGS) {
      deps.logger.warn(
        { package: forWhat, dependencies: named.size },
        'cordon: too many unseen dependencies to sight at once; the rest are sighted when first asked for',
      );
      break;
    }
    const packument = await upstreamPackument(deps, name, `${name} (a dependency of ${forWhat})`);
    // A package upstream does not have is recorded too: if it appears later, every version of it is new.
    await deps.quarantine.observe(packument ?? { name, versions: {} }, deps.now(), { complete: true });
    deps.logger.info({ package: name, dependencyOf: forWhat, upstream: packument ? 'found' : 'not found' }, 'cordon: sighted a dependency');
  }
  const facts: DependencyFact[] = [];
  for (const { key, name } of registryDependencyEntries(manifest)) {
    const versions = await deps.store.versions.versionsOf(name);
    const times = versions.map((v) => v.publishedAt).filter((t): t is number => t !== null);
    facts.push({
      name: key,
      known: versions.length > 0,
      firstPublishedAt: times.length ? Math.min(...times) : null,
      versionCount: versions.length,
    });
  }
  return facts;
}

/**
 * The version to compare `job`'s with: the one its job was queued against (the highest visible below it
 * at first sight), or — when a burst of the package's versions is analysed in order — a higher one below
 * it still in quarantine whose analysis came back clean, so each version is diffed against the one
 * before it (whose verified bytes the store already has). A held version is never a base: what it adds
 * is reported again for every version after it. Under `approval: always` only visible versions are.
 */
async function comparisonBase(job: Job, deps: PrepareDeps): Promise<{ version: string; integrity: string } | null> {
  const queued = job.previousVersion && job.previousIntegrity ? { version: job.previousVersion, integrity: job.previousIntegrity } : null;
  if (!semver.valid(job.version) || deps.quarantine.ruleFor(job.package).approvalAlways) return queued;
  let best = queued;
  for (const r of await deps.store.versions.cleanWaiting(job.package)) {
    if (!r.integrity || !semver.valid(r.version) || !semver.lt(r.version, job.version)) continue;
    if (best === null || !semver.valid(best.version) || semver.gt(r.version, best.version))
      best = { version: r.version, integrity: r.integrity };
  }
  return best;
}

/** Builds the data of `job` for a thread or a worker. Throws AnalysisError (retryable when upstream is only unreachable). */
export async function prepareJob(job: Job, deps: PrepareDeps): Promise<AnalysisJobData> {
  const id = `${job.package}@${job.version}`;
  const record = await deps.store.versions.versionOf(job.package, job.version);
  if (!record || record.integrity !== job.integrity)
    throw new AnalysisError('INTEGRITY_MISMATCH', `the mirror's record of ${id} no longer has the bytes this job was for`);
  const pin = parsePinned(job.integrity);
  if (!pin) throw new AnalysisError('INTEGRITY_MISMATCH', `${id} has no single pinned digest`);
  const shows = (p: Packument | null): boolean => {
    const m = p?.versions?.[job.version];
    return m !== undefined && stillPinned(m.dist && typeof m.dist === 'object' ? m.dist : undefined, pin);
  };
  let packument = await upstreamPackument(deps, job.package, id);
  // The batch's copy may predate this version: only a fresh look decides that upstream lost or changed it.
  if (!shows(packument)) packument = await upstreamPackument(deps, job.package, id, true);
  const manifest = packument?.versions?.[job.version];
  if (!manifest) throw new AnalysisError('VERSION_WITHDRAWN', `upstream no longer lists ${id}`);
  const dist = manifest.dist && typeof manifest.dist === 'object' ? manifest.dist : undefined;
  if (!stillPinned(dist, pin))
    throw new AnalysisError(
      'INTEGRITY_MISMATCH',
      `upstream now describes other bytes for ${id} than the ${job.integrity} pinned at first sight`,
    );
  const tarballUrl = record.tarballUrl ?? upstreamTarballUrl(dist?.tarball, deps.upstream);
  if (!tarballUrl) throw new AnalysisError('BAD_TARBALL_URL', `upstream gives no tarball address on the registry for ${id}`);
  const next: JobSide = {
    version: job.version,
    manifest: withoutReadme(manifest),
    tarballUrl,
    integrity: job.integrity,
    blob: record.blob,
  };

  let previous: JobSide | null = null;
  const legacy =
    job.previousVersion && !job.previousIntegrity
      ? ((await deps.store.versions.versionOf(job.package, job.previousVersion))?.integrity ?? null)
      : null;
  const base = await comparisonBase(legacy ? { ...job, previousIntegrity: legacy } : job, deps);
  const previousVersion = base?.version ?? null;
  const previousIntegrity = base?.integrity ?? null;
  if (previousVersion && previousIntegrity) {
    const prevRecord = await deps.store.versions.versionOf(job.package, previousVersion);
    const prevManifest = packument?.versions?.[previousVersion];
    const prevDist = prevManifest?.dist && typeof prevManifest.dist === 'object' ? prevManifest.dist : undefined;
    const prevUrl =
      prevRecord?.integrity === previousIntegrity ? (prevRecord.tarballUrl ?? upstreamTarballUrl(prevDist?.tarball, deps.upstream)) : null;
    if (prevUrl) {
      // Upstream's manifest only where it still describes the bytes the mirror pinned; else the tarball's package.json stands in.
      const prevPin = parsePinned(previousIntegrity);
      const trusted = prevManifest && prevPin && stillPinned(prevDist, prevPin) ? withoutReadme(prevManifest) : null;
      previous = {
        version: previousVersion,
        manifest: trusted,
        tarballUrl: prevUrl,
        integrity: previousIntegrity,
        blob: prevRecord?.blob ?? null,
      };
    }
  }
  const dependencies = await sightDependencies(deps, id, manifest);
  // Read after the sighting: versions it recorded belong to the burst too.
  const around =
    record.publisher && record.publishedAt !== null
      ? await deps.store.versions.versionsByPublisher(
          record.publisher,
          record.publishedAt - deps.burst.windowMs,
          record.publishedAt + deps.burst.windowMs,
        )
      : [];
  const mirrorFindings = preparedFindings(record, previous ? previous.version : null, around, deps.burst);
  return {
    id: job.id,
    question: {
      mirrorId: deps.mirrorId,
      package: job.package,
      version: job.version,
      integrity: job.integrity,
      previousVersion: previous ? previous.version : null,
      previousIntegrity: previous ? previous.integrity : null,
      analyzerVersion: ANALYZER_VERSION,
    },
    next,
    previous,
    dependencies,
    preparedAt: deps.now(),
    blobsDir: deps.blobsDir,
    limits: deps.limits,
    budget: deps.budget,
    upstream: deps.upstream,
    youngDependency: deps.youngDependency,
    mirrorFindings,
  };
}
