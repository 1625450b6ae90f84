/**
 * `cordon store init --adopt-existing`: an explicit, audited re-baseline of a data folder whose store was
 * lost, replaced or rolled back. The folder gets a new, empty store and identity; the packages its
 * tarball storage holds are recorded as adopted (their old versions become a baseline when next seen).
 * Given the earlier store (or a backup of it), every version it knew carries over, and none it held,
 * rejected or blocked is released: held and rejected ones wait for a person again, blocked stay blocked.
 */
import type { CordonConfig } from '../config';
import { pinDigest } from '../policy/digest-pin';
import type { VersionRecord, VersionState } from '../policy/version-state';
import { createFreshStore, readEarlierStore, storedPackageNames, type EarlierStore } from '../../storage';
import { openStore } from '../../storage/open-store';
import { newMirrorId } from '../approvals/mirror-id';
import { QuarantineService } from './quarantine-service';

export interface AdoptionReport {
  readonly dataId: string;
  readonly mirrorId: string;
  readonly adoptedPackages: readonly string[];
  readonly movedAside: readonly string[];
  readonly carried: Readonly<Record<'released' | 'quarantined' | 'held' | 'blocked', number>>;
}

/** The state a version of the earlier store gets in the new one: never more visible than it was. */
function carriedState(state: VersionState): { state: VersionState; analysis: VersionRecord['analysis'] } {
  switch (state) {
    case 'released':
    case 'approved':
      return { state: 'released', analysis: null };
    case 'quarantined':
      return { state: 'quarantined', analysis: 'pending' };
    case 'held':
    case 'rejected':
      return { state: 'held', analysis: 'pending' };
    default:
      return { state: 'blocked', analysis: null };
  }
}

const ADOPTED_NEXT: Partial<Record<VersionState, string>> = {
  held: '; a person must review it again',
  quarantined: '; its analysis runs again',
};

/** Re-baselines `config.dataDir`; `previousStore` is the earlier store file (or a backup), read-only. */
export async function adoptDataFolder(
  config: CordonConfig,
  options: { previousStore: string | null; at: number },
): Promise<AdoptionReport> {
  const { at } = options;
  // Read the earlier store before anything moves: it may be the very file about to be set aside.
  const earlier: EarlierStore | null = options.previousStore ? readEarlierStore(options.previousStore) : null;
  const adoptedPackages = storedPackageNames(config.dataDir);
  const { identity, movedAside } = createFreshStore(config.dataDir, at);
  // The fresh store is opened like any other, through the ports.
  const store = await openStore(config);
  try {
    // Keep the mirror id decisions were signed for, unless the config names one.
    const mirrorId = config.mirrorId ?? (await store.approvals.mirrorId(earlier?.mirrorId ? () => earlier.mirrorId! : newMirrorId));
    const quarantine = new QuarantineService(store, {
      cooldownMs: config.cooldownMs,
      rules: config.rules,
      mirrorId,
      upstream: config.upstream,
    });
    const carried = { released: 0, quarantined: 0, held: 0, blocked: 0 };
    const byPackage = new Map<string, VersionRecord[]>();
    for (const name of earlier?.packages ?? []) byPackage.set(name, []);
    for (const v of earlier?.versions ?? []) {
      const pin = v.integrity ? pinDigest({ integrity: v.integrity }) : { kind: 'none' as const };
      const next = pin.kind === 'pinned' ? carriedState(v.state) : { state: 'blocked' as const, analysis: null };
      carried[next.state as keyof typeof carried]++;
      const records = byPackage.get(v.package) ?? [];
      byPackage.set(v.package, records);
      records.push({
        package: v.package,
        version: v.version,
        state: next.state,
        publishedAt: v.publishedAt,
        firstSeenAt: at,
        integrity: pin.kind === 'pinned' ? pin.digest.sri : v.integrity,
        tarball: null,
        tarballUrl: null,
        blob: pin.kind === 'pinned' && pin.digest.algorithm === 'sha512' ? pin.digest.sri : null,
        reason: `adopted from ${options.previousStore}, where it was ${v.state} (${v.reason})${ADOPTED_NEXT[next.state] ?? ''}`,
        updatedAt: at,
        analysis: next.analysis,
        maxSeverity: null,
        findingsDigest: null,
        publisher: null,
      });
    }
    for (const [name, records] of byPackage) await quarantine.recordCarried(name, records, at);
    await store.audit.append({
      at,
      package: '(store)',
      version: null,
      fromState: null,
      toState: null,
      cause: 'store-adopted',
      detail: {
        dataId: identity.id,
        mirrorId,
        previousStore: options.previousStore,
        movedAside,
        adoptedPackages: adoptedPackages.slice(0, 10_000),
        adoptedCount: adoptedPackages.length,
        carried,
      },
    });
    return { dataId: identity.id, mirrorId, adoptedPackages, movedAside, carried };
  } finally {
    await store.syncIdentity().catch(() => undefined);
    await store.close();
  }
}
