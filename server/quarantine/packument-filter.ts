/** The filter Verdaccio runs on every packument it serves. It never throws: Verdaccio would serve the unfiltered packument. */
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { emptyManifest, filterManifest, withPinnedDigest } from '../policy/filter-manifest';
import type { Packument } from '../policy/manifest';
import { observeGradually, yieldToLoop } from './gradual-observe';
import { VISIBLE_STATES } from '../policy/version-state';
import type { QuarantineService } from './quarantine-service';

// Bounds the fallback memory by versions kept, not packages: one package can have thousands.
const FALLBACK_VERSIONS = 500_000;

/**
 * Builds the filter. On an internal error it serves only the versions it last knew to be visible
 * through a durable decision (released or approved, not merely "cooldown over"), and none if it knows none.
 */
export function createPackumentFilter(
  quarantine: QuarantineService,
  clock: Clock,
  logger: Logger,
): (packument: Readonly<Packument>) => Promise<Packument> {
  // Versions last known visible through a durable decision, with the digest pinned for each.
  const lastVisible = new Map<string, ReadonlyMap<string, string>>();
  let kept = 0;
  const remember = (name: string, versions: ReadonlyMap<string, string>): void => {
    const old = lastVisible.get(name);
    if (old) {
      lastVisible.delete(name); // re-inserted below, so the map's order is least recently seen first
      kept -= old.size;
    }
    lastVisible.set(name, versions);
    kept += versions.size;
    for (const [oldest, set] of lastVisible) {
      if (kept <= FALLBACK_VERSIONS || oldest === name) break;
      lastVisible.delete(oldest);
      kept -= set.size;
    }
  };

  // One filter at a time per package: a first sight recorded in parts must not race another of the same package.
  const running = new Map<string, Promise<unknown>>();
  const serially = <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const before = running.get(name) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.catch(() => undefined);
    running.set(name, settled);
    void settled.then(() => running.get(name) === settled && running.delete(name));
    return mine;
  };

  return async (packument) => {
    try {
      if (
        !packument ||
        typeof packument !== 'object' ||
        typeof packument.name !== 'string' ||
        !packument.versions ||
        typeof packument.versions !== 'object'
      ) {
        logger.warn({ package: (packument as { name?: unknown } | null)?.name }, 'cordon: malformed packument, serving no versions');
        return emptyManifest({ name: typeof packument?.name === 'string' ? packument.name : '' });
      }
      return await serially(packument.name, async () => {
        const decisions = await observeGradually(quarantine, packument, clock.now());
        const durable = new Map<string, string>();
        for (const [version, d] of decisions)
          if (d.visible && VISIBLE_STATES.has(d.record.state) && d.record.integrity) durable.set(version, d.record.integrity);
        remember(packument.name, durable);
        return filterInParts(
          packument,
          (v) => decisions.get(v)?.visible === true,
          (v) => decisions.get(v)?.record.integrity ?? null,
        );
      });
    } catch (err) {
      try {
        const known = lastVisible.get(packument.name) ?? new Map<string, string>();
        logger.error(
          { package: packument.name, err: (err as Error)?.message, fallbackVersions: known.size },
          'cordon: filter failed; serving only versions known to be visible',
        );
        return filterManifest(
          packument,
          (v) => known.has(v),
          (v) => known.get(v) ?? null,
        );
      } catch {
        return emptyManifest({ name: typeof packument?.name === 'string' ? packument.name : '' });
      }
    }
  };
}

/** Versions copied per turn of the event loop while filtering. */
const FILTER_PART = 5_000;

/**
 * `filterManifest` with the visible versions (each with its pinned digest) copied in parts, with the
 * event loop free between them, so filtering a packument of 100,000 versions never holds it for long.
 */
async function filterInParts(
  packument: Readonly<Packument>,
  isVisible: (version: string) => boolean,
  pinOf: (version: string) => string | null,
): Promise<Packument> {
  const versions: Packument['versions'] = {};
  let seen = 0;
  for (const [version, manifest] of Object.entries(packument.versions)) {
    if (++seen % FILTER_PART === 0) await yieldToLoop();
    if (!isVisible(version)) continue;
    const pin = pinOf(version);
    if (pin && manifest && typeof manifest === 'object') versions[version] = withPinnedDigest(manifest, pin);
  }
  // Only visible, pinned versions are left: the rest (time, dist-tags, readme, dist files) follows them.
  return filterManifest({ ...packument, versions }, () => true);
}
