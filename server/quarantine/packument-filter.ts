/** The filter Verdaccio runs on every packument it serves. It never throws: Verdaccio would serve the unfiltered packument. */
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { emptyManifest, filterManifest } from '../policy/filter-manifest';
import type { Packument } from '../policy/manifest';
import type { QuarantineService } from './quarantine-service';

const FALLBACK_ENTRIES = 5_000;

/**
 * Builds the filter. On an internal error it serves only the versions it last knew to be visible
 * through a durable decision (released or approved, not merely "cooldown over"), and none if it knows none.
 */
export function createPackumentFilter(quarantine: QuarantineService, clock: Clock, logger: Logger): (packument: Readonly<Packument>) => Packument {
  const lastVisible = new Map<string, ReadonlySet<string>>();

  return (packument) => {
    try {
      if (!packument || typeof packument !== 'object' || typeof packument.name !== 'string' || !packument.versions || typeof packument.versions !== 'object') {
        logger.warn({ package: (packument as { name?: unknown } | null)?.name }, 'cordon: malformed packument, serving no versions');
        return emptyManifest({ name: typeof packument?.name === 'string' ? packument.name : '' });
      }
      const decisions = quarantine.observe(packument, clock.now());
      const durable = new Set<string>();
      for (const [version, d] of decisions) if (d.visible && (d.record.state === 'released' || d.record.state === 'approved')) durable.add(version);
      if (lastVisible.size >= FALLBACK_ENTRIES) lastVisible.delete(lastVisible.keys().next().value as string);
      lastVisible.set(packument.name, durable);
      return filterManifest(packument, (v) => decisions.get(v)?.visible === true);
    } catch (err) {
      try {
        const known = lastVisible.get(packument.name) ?? new Set<string>();
        logger.error({ package: packument.name, err: (err as Error)?.message, fallbackVersions: known.size }, 'cordon: filter failed; serving only versions known to be visible');
        return filterManifest(packument, (v) => known.has(v));
      } catch {
        return emptyManifest({ name: typeof packument?.name === 'string' ? packument.name : '' });
      }
    }
  };
}
