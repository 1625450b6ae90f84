/** Joins the pure policy to the store: records what upstream shows and answers which versions are visible. */
import { ruleFor, type EffectiveRule, type PackageRule } from '../config/package-rules';
import { createHash } from 'node:crypto';
import semver from 'semver';
import type { Transition, JobSpec, SightingFindings } from '../../storage';
import type { ChangeFeed, VersionPort } from '../../storage/ports';
import { decide, initialState } from '../policy/lifecycle';
import { transition as checked } from '../policy/state-machine';
import { integrityOf, publishTime, tarballBasename, type Packument, type VersionManifest } from '../policy/manifest';
import { parsePinned, stillPinned } from '../policy/digest-pin';
import type { VersionDecision, VersionRecord } from '../policy/version-state';
import { canonicalJson } from '../canonical-json';
import { firstSight, upstreamTarballUrl } from './first-sight';
import type { CascadeService } from './cascade-service';
import { WITHDRAWN_CAUSE, WithdrawalWatch } from './withdrawal-watch';
import { distText, KnownVersions } from './known-versions';

export interface QuarantineSettings {
  readonly cooldownMs: number;
  readonly rules: readonly PackageRule[];
  /** The mirror's id: part of every analysis question. */
  readonly mirrorId: string;
  /** The upstream registry (ends in `/`): tarballs are fetched only from its origin. */
  readonly upstream: string;
}

/** The decisions for the versions of one package, by version. */
export type Decisions = ReadonlyMap<string, VersionDecision & { record: VersionRecord }>;

/** The slice of the store the quarantine service reads and writes. */
export interface QuarantineStore {
  readonly versions: VersionPort;
  readonly changes: Pick<ChangeFeed, 'generation' | 'live'>;
}

export class QuarantineService {
  /** Each recently served package's versions, checked digests and decisions, kept while it does not change. */
  private readonly known: KnownVersions;
  /** Packages whose first sight is being recorded in parts, with whether they were new (so every part decides alike). */
  readonly sightingInParts = new Map<string, boolean>();

  constructor(
    private readonly store: QuarantineStore,
    private readonly settings: QuarantineSettings,
    /** Confirms withdrawals over a window; without one, one complete packument without a version withdraws it. */
    readonly withdrawals?: WithdrawalWatch,
    /** Holds a blocked version's siblings (absent: no cascade). */
    private readonly cascade?: CascadeService,
  ) {
    this.known = new KnownVersions(store);
  }

  /** The rule that applies to a package. */
  ruleFor(name: string): EffectiveRule {
    return ruleFor(name, this.settings.rules, this.settings.cooldownMs);
  }

  /**
   * Records a packument as upstream (or Verdaccio's cache of it) shows it at `now`: versions seen for
   * the first time get their initial state, their pinned digest and, when quarantined, an analysis job
   * in the same transaction; a version whose digest cannot be pinned to one is blocked; a known version
   * whose upstream integrity no longer shows exactly its pin is blocked. With `complete` (the packument
   * came straight from upstream, not from Verdaccio's merged cache) versions upstream withdrew, or a
   * security placeholder, block what is not yet visible. Costs one indexed read; writes only when
   * something changed. Returns the decision for every known version.
   */
  async observe(
    packument: Readonly<Packument>,
    now: number,
    options: { complete?: boolean; packageIsNew?: boolean } = {},
  ): Promise<Decisions> {
    const name = packument.name;
    const rule = this.ruleFor(name);
    const cached = await this.known.records(name);
    let known = cached.byVersion;
    // A first sight recorded in parts (see observeGradually) keeps the answer of its first part.
    const packageIsNew =
      options.packageIsNew ?? this.sightingInParts.get(name) ?? (known.size === 0 && !(await this.store.versions.hasPackage(name)));
    const inserts: VersionRecord[] = [];
    const refusals: SightingFindings[] = [];
    const transitions: Transition[] = [];
    const upstreamVersions = packument.versions ?? {};
    for (const [version, manifest] of Object.entries(upstreamVersions)) {
      const dist = manifest?.dist && typeof manifest.dist === 'object' ? manifest.dist : undefined;
      const existing = known.get(version);
      if (!existing) {
        const first = this.firstSeen(packument, version, rule, packageIsNew, now);
        inserts.push(first.record);
        if (first.refusal) refusals.push(first.refusal);
        continue;
      }
      if (existing.state === 'blocked') continue;
      // The pin of a version never changes: a `dist` found to show it before need not be parsed again.
      const text = distText(dist);
      if (this.known.distChecked(name, version, text)) continue;
      const pin = parsePinned(existing.integrity);
      if (pin && !stillPinned(dist, pin)) {
        transitions.push(
          block(
            existing,
            now,
            'integrity-changed',
            'upstream now describes other bytes under this version number (its integrity no longer shows exactly the digest pinned at first sight)',
            { pinned: existing.integrity, now: integrityOf(manifest) },
          ),
        );
      } else if (pin) this.known.rememberDist(name, version, text);
    }
    if (options.complete) transitions.push(...(await this.withdrawn(packument, known, rule, now)));
    const jobs = this.jobsFor(inserts, known, rule, now);
    if (inserts.length || transitions.length || packageIsNew) {
      const applied = await this.store.versions.recordSighting(name, now, inserts, transitions, jobs, refusals);
      for (const t of applied) if (t.cause === 'integrity-changed') await this.cascadeFromBlock(t, now);
      // Read back what this and any other process wrote (the generation moved).
      const fresh = await this.known.records(name);
      known = fresh.byVersion;
      return this.known.decisions(name, fresh.generation, now, () => this.decideAll(known.values(), rule, now));
    }
    return this.known.decisions(name, cached.generation, now, () => this.decideAll(known.values(), rule, now));
  }

  /** The record of `version` of `packument` seen for the first time at `now` (and the findings of a refusal, if refused). */
  firstSeen(
    packument: Readonly<Packument>,
    version: string,
    rule: EffectiveRule,
    packageIsNew: boolean,
    now: number,
  ): { record: VersionRecord; refusal?: SightingFindings } {
    const name = packument.name;
    const manifest = packument.versions[version];
    const dist = manifest?.dist && typeof manifest.dist === 'object' ? manifest.dist : undefined;
    const seen = { publishedAt: publishTime(packument, version), firstSeenAt: now };
    const first = firstSight(
      name,
      version,
      dist,
      upstreamTarballUrl(dist?.tarball, this.settings.upstream),
      initialState(seen, rule, packageIsNew),
    );
    return {
      record: {
        package: name,
        version,
        ...seen,
        ...first.record,
        tarball: tarballBasename(dist?.tarball),
        updatedAt: now,
        maxSeverity: first.refusal?.maxSeverity ?? null,
        findingsDigest: first.refusal?.digest ?? null,
        publisher: publisherOf(manifest),
      },
      refusal: first.refusal,
    };
  }

  /** Writes first sightings (with their analysis jobs and refusal findings) in one transaction. */
  async recordFirstSight(
    name: string,
    now: number,
    inserts: readonly VersionRecord[],
    jobs: readonly JobSpec[],
    refusals: readonly SightingFindings[],
  ): Promise<void> {
    await this.store.versions.recordSighting(name, now, inserts, [], jobs, refusals);
  }

  /** The versions the store knows of `name` (kept between requests while the package does not change). */
  async knownVersions(name: string): Promise<ReadonlyMap<string, VersionRecord>> {
    return (await this.known.records(name)).byVersion;
  }

  /** The number of versions of `packument` the store does not know yet (what a first sight would write). */
  async unknownVersions(packument: Readonly<Packument>): Promise<number> {
    const known = (await this.known.records(packument.name)).byVersion;
    let n = 0;
    for (const version of Object.keys(packument.versions ?? {})) if (!known.has(version)) n++;
    return n;
  }

  /** True when the store has no version of `name` and has never seen the package. */
  async isNewPackage(name: string): Promise<boolean> {
    return (await this.known.records(name)).byVersion.size === 0 && !(await this.store.versions.hasPackage(name));
  }

  /**
   * Records versions carried over from an earlier store by an explicit re-baseline, with analysis jobs
   * for the ones that wait for one. Versions already recorded are left as they are.
   */
  async recordCarried(name: string, records: readonly VersionRecord[], at: number): Promise<void> {
    await this.store.versions.recordSighting(name, at, records, [], this.jobsFor(records, new Map(), this.ruleFor(name), at));
  }

  /** Versions upstream no longer lists (or replaced by a security placeholder) that must not be served. */
  private async withdrawn(
    packument: Readonly<Packument>,
    known: ReadonlyMap<string, VersionRecord>,
    rule: EffectiveRule,
    now: number,
  ): Promise<Transition[]> {
    const listed = packument.versions ?? {};
    await this.withdrawals?.shown(packument.name, (v) => Object.hasOwn(listed, v));
    const placeholder =
      Object.keys(listed).some((v) => /^0\.0\.1-security/.test(v)) || /security holding package/i.test(String(packument.description ?? ''));
    const out: Transition[] = [];
    for (const record of known.values()) {
      if (record.state === 'blocked' || record.state === 'rejected') continue;
      if (placeholder && !/^0\.0\.1-security/.test(record.version)) {
        out.push(
          block(
            record,
            now,
            'security-placeholder',
            'upstream replaced the package with a security placeholder: it was found to be malicious',
            {},
          ),
        );
      } else if (!Object.hasOwn(listed, record.version) && !decide(record, rule, now).visible) {
        // One answer without it may be a lagging CDN or a stale copy: only repeated answers confirm a withdrawal.
        const verdict = await this.withdrawals?.missing(
          record.package,
          record.version,
          now,
          'a complete packument from upstream without it',
        );
        if (verdict && !verdict.confirmed) continue;
        out.push(
          block(
            record,
            now,
            WITHDRAWN_CAUSE,
            'upstream withdrew this version before it was released here',
            verdict ? WithdrawalWatch.detail(verdict.absence) : {},
          ),
        );
      }
    }
    return out;
  }

  /** An analysis job for each new quarantined version, against the highest visible version below it (and its pinned digest). */
  jobsFor(inserts: readonly VersionRecord[], known: ReadonlyMap<string, VersionRecord>, rule: EffectiveRule, now: number): JobSpec[] {
    const pending = inserts.filter((r) => r.analysis === 'pending' && r.integrity);
    if (pending.length === 0) return [];
    const visible = new Map<string, VersionRecord>();
    for (const r of known.values()) if (r.integrity && decide(r, rule, now).visible) visible.set(r.version, r);
    for (const r of inserts) if (r.state === 'released' && r.integrity) visible.set(r.version, r);
    return pending.map((r) => {
      const previous = previousVersion(r.version, [...visible.keys()]);
      const previousIntegrity = previous === null ? null : visible.get(previous)!.integrity;
      return {
        id: jobId({
          mirrorId: this.settings.mirrorId,
          package: r.package,
          version: r.version,
          integrity: r.integrity!,
          previousVersion: previous,
          previousIntegrity,
        }),
        package: r.package,
        version: r.version,
        integrity: r.integrity!,
        previousVersion: previous,
        previousIntegrity,
      };
    });
  }

  /** Decisions for every version the store knows of a package (empty when never seen). */
  async decisions(name: string, now: number): Promise<Decisions> {
    const { generation, byVersion } = await this.known.records(name);
    return this.known.decisions(name, generation, now, () => this.decideAll(byVersion.values(), this.ruleFor(name), now));
  }

  /** The decision for one version, or undefined when the store does not know it. */
  async decision(name: string, version: string, now: number): Promise<(VersionDecision & { record: VersionRecord }) | undefined> {
    // From what is kept while the package does not change (no store read on a hot tarball or manifest path).
    const record = (await this.known.records(name)).byVersion.get(version);
    return record && { ...decide(record, this.ruleFor(name), now), record };
  }

  /**
   * Decisions for every version a tarball file name can stand for: the version its name spells (if it
   * is known) and every version whose upstream tarball has that name. Empty when none is known.
   */
  async tarballDecisions(
    name: string,
    filename: string,
    spelledVersion: string | null,
    now: number,
  ): Promise<Array<VersionDecision & { record: VersionRecord }>> {
    const rule = this.ruleFor(name);
    const records = await this.known.withTarball(name, filename);
    if (spelledVersion && !records.some((r) => r.version === spelledVersion)) {
      const spelled = (await this.known.records(name)).byVersion.get(spelledVersion);
      if (spelled) records.push(spelled);
    }
    return records.map((record) => ({ ...decide(record, rule, now), record }));
  }

  /** True when the package has been seen before. */
  knows(name: string): Promise<boolean> {
    return this.store.versions.hasPackage(name);
  }

  /**
   * Writes down what time has already decided: quarantined versions whose cooldown is over become
   * `released`. Returns the transitions made.
   */
  async releaseDue(now: number): Promise<Transition[]> {
    const made: Transition[] = [];
    for (const record of await this.store.versions.versionsInState('quarantined')) {
      const decision = decide(record, this.ruleFor(record.package), now);
      if (!decision.visible) continue;
      const t: Transition = checked({
        package: record.package,
        version: record.version,
        from: 'quarantined',
        to: 'released',
        reason: decision.reason,
        cause: 'cooldown-ended',
        at: now,
        detail: { releaseAt: decision.releaseAt },
      });
      if (await this.store.versions.transition(t)) made.push(t);
    }
    return made;
  }

  /**
   * Blocks a version whose upstream bytes contradict its pinned digest (seen while downloading them),
   * whatever its state. True when this call blocked it.
   */
  async blockChangedBytes(name: string, version: string, now: number, detail: string): Promise<boolean> {
    const record = await this.store.versions.versionOf(name, version);
    if (!record || record.state === 'blocked') return false;
    const t = block(record, now, 'integrity-mismatch', `upstream served other bytes than the ones pinned at first sight: ${detail}`, {
      pinned: record.integrity,
    });
    if (!(await this.store.versions.transition(t))) return false;
    await this.cascadeFromBlock(t, now);
    return true;
  }

  /** Holds the siblings of a version blocked because its bytes changed. */
  private async cascadeFromBlock(t: Transition, now: number): Promise<void> {
    if (!this.cascade) return;
    const record = await this.store.versions.versionOf(t.package, t.version);
    if (!record) return;
    await this.cascade.from(
      {
        package: t.package,
        version: t.version,
        publisher: record.publisher,
        publishedAt: record.publishedAt,
        what: 'blocked because upstream changed its bytes under the same version number',
        auditId: null,
      },
      now,
    );
  }

  /**
   * The packages the sweeper re-reads from upstream: those with versions not yet visible (quarantined or
   * held), and those with a version released within `recentMs` — the days in which a compromise is
   * usually found, and changed bytes under a released version must block it and cascade.
   */
  async packagesToRefresh(now: number, recentMs: number): Promise<string[]> {
    const [quarantined, held, released] = await Promise.all([
      this.store.versions.packagesInState('quarantined'),
      this.store.versions.packagesInState('held'),
      this.store.versions.packagesInStateSince('released', now - recentMs),
    ]);
    return [...new Set([...quarantined, ...held, ...released])].sort();
  }

  /** True when a version of `name` is missing upstream and its withdrawal is not yet confirmed (ask upstream afresh). */
  async hasPendingWithdrawals(name: string): Promise<boolean> {
    return (await this.withdrawals?.hasPending(name)) ?? false;
  }

  /** Notes that upstream metadata of `name` was fetched. */
  markRefreshed(name: string, now: number): Promise<void> {
    return this.store.versions.markRefreshed(name, now);
  }

  private decideAll(records: Iterable<VersionRecord>, rule: EffectiveRule, now: number): Decisions {
    const out = new Map<string, VersionDecision & { record: VersionRecord }>();
    for (const record of records) out.set(record.version, { ...decide(record, rule, now), record });
    return out;
  }
}

/** The question one analysis answers: which bytes of which version, against which bytes of which version, for which mirror. */
export interface AnalysisQuestionKey {
  readonly mirrorId: string;
  readonly package: string;
  readonly version: string;
  readonly integrity: string;
  readonly previousVersion: string | null;
  readonly previousIntegrity: string | null;
}

/** The id of one question: equal ids collapse duplicate jobs; mirrors, versions or baselines that differ never share one. */
export function jobId(q: AnalysisQuestionKey): string {
  return createHash('sha256')
    .update(canonicalJson({ v: 'cordon-job/2', ...q }))
    .digest('hex');
}

/** The highest of `candidates` below `version` in semver order, or null. */
export function previousVersion(version: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  for (const c of candidates) {
    if (!semver.valid(c) || !semver.valid(version) || !semver.lt(c, version)) continue;
    if (best === null || semver.gt(c, best)) best = c;
  }
  return best;
}

function publisherOf(manifest: VersionManifest | undefined): string | null {
  const user = manifest?._npmUser as { name?: unknown } | undefined;
  return typeof user?.name === 'string' ? user.name : null;
}

function block(record: VersionRecord, at: number, cause: string, reason: string, detail: Record<string, unknown>): Transition {
  return checked({ package: record.package, version: record.version, from: record.state, to: 'blocked', reason, cause, at, detail });
}
