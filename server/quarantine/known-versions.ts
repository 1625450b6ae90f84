/**
 * What the store knows of each recently served package, kept between requests while nothing about it
 * changed. A package with 100,000 versions otherwise costs every packument request a read of 100,000
 * rows, 100,000 digest checks and 100,000 decisions; with this, a request whose package did not change
 * costs no store read at all (the package's generation, which every write to its versions bumps, from
 * any connection or mirror, is kept in memory by the store's change feed) and a comparison of each
 * version's `dist` text with the one last checked. While the change feed is not live (a PostgreSQL
 * listener reconnecting), changes made elsewhere may be missed: then every read goes to the store.
 */
import type { ChangeFeed, VersionPort } from '../../storage/ports';
import type { VersionDecision, VersionRecord } from '../policy/version-state';

/** The decisions for the versions of one package, by version. */
export type Decisions = ReadonlyMap<string, VersionDecision & { record: VersionRecord }>;

interface Entry {
  generation: number;
  byVersion: ReadonlyMap<string, VersionRecord>;
  /** The `dist` text (integrity and shasum) last found to show each version's pin exactly. */
  readonly checkedDist: Map<string, string>;
  /** Decisions made at `at`, which hold until `until` (the next cooldown end) while the generation stands. */
  decided: { at: number; until: number; decisions: Decisions } | null;
  /** The versions by upstream tarball file name, built on the first tarball request of this generation. */
  byTarball: ReadonlyMap<string, VersionRecord[]> | null;
}

/** The earliest instant after `now` at which a hidden version becomes visible by time alone, or +Infinity. */
function nextChange(decisions: Decisions, now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const d of decisions.values()) if (!d.visible && d.releaseAt !== null && d.releaseAt > now && d.releaseAt < next) next = d.releaseAt;
  return next;
}

export class KnownVersions {
  private readonly entries = new Map<string, Entry>();
  private kept = 0;

  constructor(
    private readonly store: {
      readonly versions: Pick<VersionPort, 'versionsOf'>;
      readonly changes: Pick<ChangeFeed, 'generation' | 'live'>;
    },
    /** Records kept in all (bounds memory: one package can have 100,000 versions). */
    private readonly maxRecords = 400_000,
  ) {}

  /** Every version the store knows of `name`, as of now (read again only when the package changed). */
  async records(name: string): Promise<{ generation: number; byVersion: ReadonlyMap<string, VersionRecord> }> {
    // Read before the rows: a change landing in between makes the next call read again, never miss it.
    const generation = this.store.changes.generation(name);
    const live = this.store.changes.live;
    let entry = this.entries.get(name);
    if (live && entry && entry.generation === generation) {
      this.entries.delete(name);
      this.entries.set(name, entry);
      return entry;
    }
    const byVersion = new Map((await this.store.versions.versionsOf(name)).map((r) => [r.version, r]));
    if (!live) {
      // Not trusted for later: answer from the store and forget what was kept.
      if (entry) this.forget(name, entry);
      return { generation: Number.NaN, byVersion };
    }
    entry = this.entries.get(name);
    if (entry) {
      this.kept -= entry.byVersion.size;
      this.entries.delete(name);
      entry.generation = generation;
      entry.byVersion = byVersion;
      entry.decided = null;
      entry.byTarball = null;
    } else entry = { generation, byVersion, checkedDist: new Map(), decided: null, byTarball: null };
    this.entries.set(name, entry);
    this.kept += byVersion.size;
    for (const [oldest, old] of this.entries) {
      if (this.kept <= this.maxRecords || oldest === name) break;
      this.entries.delete(oldest);
      this.kept -= old.byVersion.size;
    }
    return entry;
  }

  private forget(name: string, entry: Entry): void {
    this.entries.delete(name);
    this.kept -= entry.byVersion.size;
  }

  /** Every version of `name` whose upstream tarball file name is `filename` (indexed once per generation). */
  async withTarball(name: string, filename: string): Promise<VersionRecord[]> {
    const { byVersion } = await this.records(name);
    const entry = this.entries.get(name);
    if (!entry || entry.byVersion !== byVersion) return [...byVersion.values()].filter((r) => r.tarball === filename);
    if (!entry.byTarball) {
      const index = new Map<string, VersionRecord[]>();
      for (const r of byVersion.values()) {
        if (r.tarball === null) continue;
        const list = index.get(r.tarball);
        if (list) list.push(r);
        else index.set(r.tarball, [r]);
      }
      entry.byTarball = index;
    }
    return [...(entry.byTarball.get(filename) ?? [])];
  }

  /** True when `distText` is the `dist` last found to show the version's pin (so it need not be checked again). */
  distChecked(name: string, version: string, distText: string): boolean {
    return this.entries.get(name)?.checkedDist.get(version) === distText;
  }

  /** Notes that `distText` shows the version's pin exactly. */
  rememberDist(name: string, version: string, distText: string): void {
    this.entries.get(name)?.checkedDist.set(version, distText);
  }

  /** The decisions for `records` (of `generation`) at `now`, made again only when the package or time changed them. */
  decisions(name: string, generation: number, now: number, decide: () => Decisions): Decisions {
    const entry = this.entries.get(name);
    // NaN (read while the change feed was not live) equals nothing: never kept, never reused.
    const hit = entry?.generation === generation ? entry.decided : null;
    if (hit && now >= hit.at && now < hit.until) return hit.decisions;
    const decisions = decide();
    if (entry && entry.generation === generation) entry.decided = { at: now, until: nextChange(decisions, now), decisions };
    return decisions;
  }
}

/** The text of a version's `dist` digests, compared to skip checking an unchanged one again. */
export function distText(dist: { integrity?: unknown; shasum?: unknown } | undefined): string {
  return `${typeof dist?.integrity === 'string' ? dist.integrity : ''}\0${typeof dist?.shasum === 'string' ? dist.shasum : ''}`;
}
