/** Read-only JSON status of what Cordon knows about a package: `GET /-/cordon/api/v1/packages/<name>`. */
import { Router } from 'express';
import semver from 'semver';
import type { CordonRuntime } from '../assemble';
import type { StorePorts } from '../../storage/ports';
import { handle } from './async-route';
import { HttpError } from './http-error';
import validateName from './package-name';
import type { VersionRecord } from '../policy/version-state';
import type { RefusalTally, StoredFinding } from '../../storage';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Where the analysis of a version stands, and what it found. */
async function analysisView(
  store: Pick<StorePorts, 'analyses' | 'jobs'>,
  record: VersionRecord,
): Promise<{ analysis: Record<string, unknown>; findings: readonly StoredFinding[] }> {
  if (record.analysis === null) return { analysis: { state: 'not-required' }, findings: [] };
  const [stored, job] = await Promise.all([
    record.integrity ? store.analyses.analysisOf(record.package, record.version, record.integrity) : undefined,
    store.jobs.latestFor(record.package, record.version),
  ]);
  const state = record.analysis === 'pending' ? (job?.status === 'active' ? 'running' : 'pending') : record.analysis;
  return {
    analysis: {
      state,
      attempts: job?.attempts ?? 0,
      lastError: job?.lastError ?? null,
      previousVersion: stored?.previousVersion ?? job?.previousVersion ?? null,
      analyzerVersion: stored?.analyzerVersion ?? null,
      maxSeverity: record.maxSeverity,
      findingsDigest: record.findingsDigest,
      finishedAt: iso(stored?.finishedAt ?? null),
      timings: stored?.timings ?? null,
    },
    findings: stored?.findings ?? [],
  };
}

/** How often installs were refused this version ("tried by 14 installs since …"). */
function refusalView(tally: RefusalTally | undefined): {
  count: number;
  firstAt: string | null;
  lastAt: string | null;
  lastUserAgent: string | null;
} {
  return tally
    ? { count: tally.count, firstAt: iso(tally.firstAt), lastAt: iso(tally.lastAt), lastUserAgent: tally.lastUserAgent }
    : { count: 0, firstAt: null, lastAt: null, lastUserAgent: null };
}

/** The router for `/-/cordon/api/v1`. */
export function statusApi(runtime: Pick<CordonRuntime, 'clock' | 'quarantine' | 'ops' | 'store'>): Router {
  const router = Router();
  router.get(
    /^\/packages\/(.+)$/,
    handle(async (req, res) => {
      let name: string;
      try {
        name = decodeURIComponent((req.params as Record<string, string>)[0]!).replace(/\/+$/, '');
      } catch {
        throw new HttpError(
          'BAD_URL',
          'The package name in the URL is not valid percent-encoding. Encode a scoped name as @scope%2fname or write it as @scope/name.',
        );
      }
      if (!validateName(name)) throw new HttpError('BAD_URL', `${JSON.stringify(name)} is not a valid npm package name.`);
      const now = runtime.clock.now();
      const decisions = await runtime.quarantine.decisions(name, now);
      if (decisions.size === 0 && !(await runtime.quarantine.knows(name))) {
        throw new HttpError(
          'NOT_FOUND',
          `Cordon has never seen ${name}: no one has installed it through this mirror yet. Request it once (npm view ${name}) and ask again.`,
        );
      }
      const refusals = await runtime.ops.refusals.of(name);
      const sorted = [...decisions.values()].sort((a, b) =>
        semver.valid(a.record.version) && semver.valid(b.record.version)
          ? semver.compare(a.record.version, b.record.version)
          : a.record.version.localeCompare(b.record.version),
      );
      const views = await Promise.all(sorted.map((d) => analysisView(runtime.store, d.record)));
      const versions = sorted.map((d, i) => ({
        version: d.record.version,
        state: d.state,
        visible: d.visible,
        publishedAt: iso(d.record.publishedAt),
        firstSeenAt: iso(d.record.firstSeenAt),
        releaseAt: iso(d.releaseAt),
        integrity: d.record.integrity,
        reason: d.reason,
        refusals: refusalView(refusals.get(d.record.version)),
        ...views[i]!,
      }));
      res.set('Cache-Control', 'no-store').json({ name, versions });
    }),
  );
  router.use((req) => {
    throw new HttpError('NOT_FOUND', `No Cordon API at ${req.originalUrl}. See /-/cordon/api/v1/packages/<name>.`);
  });
  return router;
}
