/** Joins the pure policy to the store: records what upstream shows and answers which versions are visible. */
import { ruleFor, type EffectiveRule, type PackageRule } from '../config/package-rules';
import type { VersionStore, Transition } from '../../storage';
import { decide, initialState } from '../policy/lifecycle';
import { integrityChanged, integrityOf, publishTime, tarballBasename, type Packument } from '../policy/manifest';
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
   * the first time get their initial state, versions whose integrity changed are blocked. Costs one
   * indexed read; writes only when something is new. Returns the decision for every known version.
   */
  observe(packument: Readonly<Packument>, now: number): Decisions {
    const name = packument.name;
    const rule = this.ruleFor(name);
    const known = new Map(this.store.versionsOf(name).map((r) => [r.version, r]));
    const packageIsNew = known.size === 0 && !this.store.hasPackage(name);
    const inserts: VersionRecord[] = [];
    const transitions: Transition[] = [];
    for (const [version, manifest] of Object.entries(packument.versions ?? {})) {
      const integrity = integrityOf(manifest);
      const existing = known.get(version);
      if (!existing) {
        const seen = { publishedAt: publishTime(packument, version), firstSeenAt: now };
        const { state, reason } = initialState(seen, rule, packageIsNew);
        inserts.push({ package: name, version, state, ...seen, integrity, tarball: tarballBasename(manifest?.dist?.tarball), reason, updatedAt: now });
      } else if (existing.state !== 'blocked' && integrityChanged(existing.integrity, integrity)) {
        transitions.push({
          package: name,
          version,
          from: existing.state,
          to: 'blocked',
          reason: 'upstream now serves different bytes under this version number (tarball integrity changed)',
          cause: 'integrity-changed',
          at: now,
          detail: { before: existing.integrity, after: integrity },
        });
      }
    }
    if (inserts.length || transitions.length || packageIsNew) {
      this.store.recordSighting(name, now, inserts, transitions);
      for (const record of inserts) known.set(record.version, record);
      for (const t of transitions) {
        const fresh = this.store.versionOf(name, t.version);
        if (fresh) known.set(t.version, fresh);
      }
    }
    return this.decideAll(known.values(), rule, now);
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

  /** The version a tarball basename belongs to, or undefined. */
  versionForTarball(name: string, filename: string): string | undefined {
    return this.store.versionByTarball(name, filename)?.version;
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

  /** Packages that still have versions waiting in quarantine: the ones the sweeper refreshes. */
  packagesInQuarantine(): string[] {
    return this.store.packagesInState('quarantined');
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
