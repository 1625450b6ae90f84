/** Read-only JSON status of what Cordon knows about a package: `GET /-/cordon/api/v1/packages/<name>`. */
import { Router } from 'express';
import semver from 'semver';
import type { CordonRuntime } from '../runtime';
import { HttpError } from './http-error';
import validateName from './package-name';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The router for `/-/cordon/api/v1`. */
export function statusApi(runtime: CordonRuntime): Router {
  const router = Router();
  router.get(/^\/packages\/(.+)$/, (req, res) => {
    let name: string;
    try {
      name = decodeURIComponent((req.params as Record<string, string>)[0]!).replace(/\/+$/, '');
    } catch {
      throw new HttpError('BAD_URL', 'The package name in the URL is not valid percent-encoding. Encode a scoped name as @scope%2fname or write it as @scope/name.');
    }
    if (!validateName(name)) throw new HttpError('BAD_URL', `${JSON.stringify(name)} is not a valid npm package name.`);
    const now = runtime.clock.now();
    const decisions = runtime.quarantine.decisions(name, now);
    if (decisions.size === 0 && !runtime.quarantine.knows(name)) {
      throw new HttpError('NOT_FOUND', `Cordon has never seen ${name}: no one has installed it through this mirror yet. Request it once (npm view ${name}) and ask again.`);
    }
    const versions = [...decisions.values()]
      .sort((a, b) => (semver.valid(a.record.version) && semver.valid(b.record.version) ? semver.compare(a.record.version, b.record.version) : a.record.version.localeCompare(b.record.version)))
      .map((d) => ({
        version: d.record.version,
        state: d.state,
        visible: d.visible,
        publishedAt: iso(d.record.publishedAt),
        firstSeenAt: iso(d.record.firstSeenAt),
        releaseAt: iso(d.releaseAt),
        integrity: d.record.integrity,
        reason: d.reason,
      }));
    res.set('Cache-Control', 'no-store').json({ name, versions });
  });
  router.use((req) => {
    throw new HttpError('NOT_FOUND', `No Cordon API at ${req.originalUrl}. See /-/cordon/api/v1/packages/<name>.`);
  });
  return router;
}
