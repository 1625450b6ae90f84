/** Joins the pure policy to the store: records what upstream shows and answers which versions are visible. */
import { ruleFor, type EffectiveRule, type PackageRule } from '../config/package-rules';
import { createHash } from 'node:crypto';
import semver from 'semver';
import type { VersionStore, Transition, JobSpec } from '../../storage';
import { decide, initialState } from '../policy/lifecycle';
import { integrityChanged, integrityOf, publishTime, tarballBasename, type Packument, type VersionManifest } from '../policy/manifest';
import type { VersionDecision, VersionRecord } from '../policy/version-state';

export interface QuarantineSettings {
  readonly cooldownMs: number;
  readonly rules: readonly PackageRule[];
}

/** The decisions for the versions of one package, by version. */
export type Decisions = ReadonlyMap<string, VersionDecision & { record: VersionRecord }>;

export class QuarantineService {
  constructor(
    private readonly store: VersionStore,
    private readonly settings: QuarantineSettings,
  ) {}

  /** The rule that applies to a package. */
  ruleFor(name: string): EffectiveRule {
    return ruleFor(name, this.settings.rules, this.settings.cooldownMs);
  }

  /**
   * Records a packument as upstream (or Verdaccio's cache of it) shows it at `now`: versions seen for
   * the first time get their initial state and, when quarantined, an analysis job in the same
   * transaction; versions whose integrity changed are blocked. With `complete` (the packument came
   * straight from upstream, not from Verdaccio's merged cache) versions upstream withdrew, or a
   * security placeholder, block what is not yet visible. Costs one indexed read; writes only when
   * something changed. Returns the decision for every known version.
   */
  observe(packument: Readonly<Packument>, now: number, options: { complete?: boolean } = {}): Decisions {
    const name = packument.name;
    const rule = this.ruleFor(name);
    const known = new Map(this.store.versionsOf(name).map((r) => [r.version, r]));
    const packageIsNew = known.size === 0 && !this.store.hasPackage(name);
    const inserts: VersionRecord[] = [];
    const transitions: Transition[] = [];
    const upstreamVersions = packument.versions ?? {};
    for (const [version, manifest] of Object.entries(upstreamVersions)) {
      const integrity = integrityOf(manifest);
      const existing = known.get(version);
      if (!existing) {
        const seen = { publishedAt: publishTime(packument, version), firstSeenAt: now };
        const initial = initialState(seen, rule, packageIsNew);
        const noBytes = initial.state === 'quarantined' && integrity === null;
        inserts.push({
          package: name,
          version,
          ...seen,
          state: noBytes ? 'held' : initial.state,
          reason: noBytes ? 'upstream gives no integrity for its tarball, so its bytes cannot be verified or analysed' : initial.reason,
          integrity,
          tarball: tarballBasename(manifest?.dist?.tarball),
          updatedAt: now,
          analysis: initial.state === 'quarantined' ? (noBytes ? 'failed' : 'pending') : null,
          maxSeverity: null,
          findingsDigest: null,
          publisher: publisherOf(manifest),
        });
      } else if (existing.state !== 'blocked' && integrityChanged(existing.integrity, integrity)) {
        transitions.push(block(existing, now, 'integrity-changed', 'upstream now serves different bytes under this version number (tarball integrity changed)', { before: existing.integrity, after: integrity }));
      }
    }
    if (options.complete) transitions.push(...this.withdrawn(packument, known, rule, now));
    const jobs = this.jobsFor(inserts, known, rule, now);
    if (inserts.length || transitions.length || packageIsNew) {
      this.store.recordSighting(name, now, inserts, transitions, jobs);
      for (const record of inserts) known.set(record.version, record);
      for (const t of transitions) {
        const fresh = this.store.versionOf(name, t.version);
        if (fresh) known.set(t.version, fresh);
      }
    }
    return this.decideAll(known.values(), rule, now);
  }

  /** Versions upstream no longer lists (or replaced by a security placeholder) that must not be served. */
  private withdrawn(packument: Readonly<Packument>, known: ReadonlyMap<string, VersionRecord>, rule: EffectiveRule, now: number): Transition[] {
    const listed = packument.versions ?? {};
    const placeholder = Object.keys(listed).some((v) => /^0\.0\.1-security/.test(v)) || /security holding package/i.test(String(packument.description ?? ''));
    const out: Transition[] = [];
    for (const record of known.values()) {
      if (record.state === 'blocked' || record.state === 'rejected') continue;
      if (placeholder && !/^0\.0\.1-security/.test(record.version)) {
        out.push(block(record, now, 'security-placeholder', 'upstream replaced the package with a security placeholder: it was found to be malicious', {}));
      } else if (!Object.hasOwn(listed, record.version) && !decide(record, rule, now).visible) {
        out.push(block(record, now, 'withdrawn-upstream', 'upstream withdrew this version before it was released here', {}));
      }
    }
    return out;
  }

  /** An analysis job for each new quarantined version, against the highest visible version below it. */
  private jobsFor(inserts: readonly VersionRecord[], known: ReadonlyMap<string, VersionRecord>, rule: EffectiveRule, now: number): JobSpec[] {
    const pending = inserts.filter((r) => r.analysis === 'pending' && r.integrity);
    if (pending.length === 0) return [];
    const visible = [...known.values()].filter((r) => decide(r, rule, now).visible).map((r) => r.version);
    visible.push(...inserts.filter((r) => r.state === 'released').map((r) => r.version));
    return pending.map((r) => ({
      id: jobId(r.package, r.version, r.integrity!),
      package: r.package,
      version: r.version,
      integrity: r.integrity!,
      previousVersion: previousVersion(r.version, visible),
    }));
  }

  /** Decisions for every version the store knows of a package (empty when never seen). */
  decisions(name: string, now: number): Decisions {
    return this.decideAll(this.store.versionsOf(name), this.ruleFor(name), now);
  }

  /** The decision for one version, or undefined when the store does not know it. */
  decision(name: string, version: string, now: number): (VersionDecision & { record: VersionRecord }) | undefined {
    const record = this.store.versionOf(name, version);
    return record && { ...decide(record, this.ruleFor(name), now), record };
  }

  /**
   * Decisions for every version a tarball file name can stand for: the version its name spells (if it
   * is known) and every version whose upstream tarball has that name. Empty when none is known.
   */
  tarballDecisions(name: string, filename: string, spelledVersion: string | null, now: number): Array<VersionDecision & { record: VersionRecord }> {
    const rule = this.ruleFor(name);
    const records = this.store.versionsByTarball(name, filename);
    if (spelledVersion && !records.some((r) => r.version === spelledVersion)) {
      const spelled = this.store.versionOf(name, spelledVersion);
      if (spelled) records.push(spelled);
    }
    return records.map((record) => ({ ...decide(record, rule, now), record }));
  }

  /** True when the package has been seen before. */
  knows(name: string): boolean {
    return this.store.hasPackage(name);
  }

  /**
   * Writes down what time has already decided: quarantined versions whose cooldown is over become
   * `released`. Returns the transitions made.
   */
  releaseDue(now: number): Transition[] {
    const made: Transition[] = [];
    for (const record of this.store.versionsInState('quarantined')) {
      const decision = decide(record, this.ruleFor(record.package), now);
      if (!decision.visible) continue;
      const t: Transition = { package: record.package, version: record.version, from: 'quarantined', to: 'released', reason: decision.reason, cause: 'cooldown-ended', at: now, detail: { releaseAt: decision.releaseAt } };
      if (this.store.transition(t)) made.push(t);
    }
    return made;
  }

  /** Packages with versions not yet visible (quarantined or held): the ones the sweeper refreshes. */
  packagesInQuarantine(): string[] {
    return [...new Set([...this.store.packagesInState('quarantined'), ...this.store.packagesInState('held')])].sort();
  }

  /** Notes that upstream metadata of `name` was fetched. */
  markRefreshed(name: string, now: number): void {
    this.store.markRefreshed(name, now);
  }

  private decideAll(records: Iterable<VersionRecord>, rule: EffectiveRule, now: number): Decisions {
    const out = new Map<string, VersionDecision & { record: VersionRecord }>();
    for (const record of records) out.set(record.version, { ...decide(record, rule, now), record });
    return out;
  }
}

/** The id of the analysis of one version's bytes: equal ids collapse duplicate jobs in both queues. */
export function jobId(name: string, version: string, integrity: string): string {
  return createHash('sha256').update(`${name}@${version}@${integrity}`).digest('hex');
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
  return { package: record.package, version: record.version, from: record.state, to: 'blocked', reason, cause, at, detail };
}
