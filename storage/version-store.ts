/** Typed access to packages, versions and the audit log; every statement prepared once. */
import type { Statement } from 'better-sqlite3';
import type { VersionRecord, VersionState } from '../server/policy/version-state';
import type { Db } from './database';
import { AuditLog, type AuditEntry } from './audit-log';
import { TransitionWriter, type Transition } from './transitions';
import type { StoredFinding } from './analysis-store';
import { NotificationOutbox } from './notification-outbox';
import { eventOf } from '../server/notify/events';
import { toRecord, type VersionRow } from './rows';

export type { Transition } from './transitions';

/** An analysis to queue together with a first sighting (the outbox both queue runners drain). */
export interface JobSpec {
  readonly id: string;
  readonly package: string;
  readonly version: string;
  readonly integrity: string;
  readonly previousVersion: string | null;
  /** The pinned digest of the previous version: part of the question the job asks. */
  readonly previousIntegrity: string | null;
}

/** Findings known at first sight (a version refused before any analysis), kept as its analysis. */
export interface SightingFindings {
  readonly version: string;
  /** The key the analysis is stored under: the pinned digest, or the raw text upstream gave when none could be pinned. */
  readonly integrity: string;
  readonly findings: readonly StoredFinding[];
  readonly digest: string;
  readonly maxSeverity: string;
  readonly analyzerVersion: string;
}

/** The lifecycle store. All writes that belong together run in one transaction. */
export class VersionStore {
  private readonly stmt: Record<string, Statement>;
  readonly auditLog: AuditLog;
  private readonly transitions: TransitionWriter;
  private readonly outbox: NotificationOutbox;

  constructor(private readonly db: Db) {
    this.auditLog = new AuditLog(db);
    this.outbox = new NotificationOutbox(db);
    this.transitions = new TransitionWriter(db, this.auditLog, this.outbox);
    this.stmt = {
      packageExists: db.prepare('SELECT 1 FROM packages WHERE name = ?'),
      insertPackage: db.prepare('INSERT OR IGNORE INTO packages (name, first_seen_at) VALUES (?, ?)'),
      markRefreshed: db.prepare('UPDATE packages SET refreshed_at = ? WHERE name = ?'),
      versionsOf: db.prepare('SELECT * FROM versions WHERE package = ?'),
      generation: db.prepare('SELECT generation FROM packages WHERE name = ?'),
      byPublisher: db.prepare(
        'SELECT * FROM versions WHERE publisher = ? AND published_at BETWEEN ? AND ? ORDER BY published_at LIMIT 10000',
      ),
      versionOf: db.prepare('SELECT * FROM versions WHERE package = ? AND version = ?'),
      // Without table statistics SQLite would scan every version of the package through the primary key.
      byTarball: db.prepare('SELECT * FROM versions INDEXED BY versions_by_tarball WHERE package = ? AND tarball = ?'),
      byState: db.prepare('SELECT * FROM versions WHERE state = ? ORDER BY package, version'),
      recentInState: db.prepare(
        'SELECT * FROM versions INDEXED BY versions_by_state_updated WHERE state = ? ORDER BY updated_at DESC LIMIT ?',
      ),
      cleanWaiting: db.prepare("SELECT * FROM versions WHERE state = 'quarantined' AND package = ? AND analysis = 'clean'"),
      packagesInState: db.prepare('SELECT DISTINCT package FROM versions WHERE state = ? ORDER BY package'),
      packagesChangedSince: db.prepare(
        'SELECT DISTINCT package FROM versions INDEXED BY versions_by_state_time WHERE state = ? AND updated_at >= ? ORDER BY package',
      ),
      insertVersion: db.prepare(
        `INSERT OR IGNORE INTO versions (package, version, state, published_at, first_seen_at, integrity, tarball, tarball_url, blob, reason, updated_at, analysis, max_severity, findings_digest, publisher)
         VALUES (@package, @version, @state, @publishedAt, @firstSeenAt, @integrity, @tarball, @tarballUrl, @blob, @reason, @updatedAt, @analysis, @maxSeverity, @findingsDigest, @publisher)`,
      ),
      insertJob: db.prepare(
        `INSERT OR IGNORE INTO jobs (id, package, version, integrity, previous_version, previous_integrity, status, attempts, run_after, created_at, updated_at)
         VALUES (@id, @package, @version, @integrity, @previousVersion, @previousIntegrity, 'waiting', 0, @at, @at, @at)`,
      ),
      insertAnalysis: db.prepare(
        `INSERT OR IGNORE INTO analyses (package, version, integrity, previous_version, findings, digest, max_severity, analyzer_version, timings, finished_at)
         VALUES (@package, @version, @integrity, @previousVersion, @findings, @digest, @maxSeverity, @analyzerVersion, '{}', @finishedAt)`,
      ),
      setBlob: db.prepare('UPDATE versions SET blob = ? WHERE package = ? AND version = ? AND integrity = ? AND blob IS NULL'),
    };
  }

  /** Changes whenever any version of the package changes, by any connection (a trigger keeps it); -1 for an unknown package. */
  generation(name: string): number {
    const row = this.stmt.generation!.get(name) as { generation: number } | undefined;
    return row ? row.generation : -1;
  }

  /** True when the package has been seen before. */
  hasPackage(name: string): boolean {
    return this.stmt.packageExists!.get(name) !== undefined;
  }

  /** Every known version of a package: one indexed lookup. */
  versionsOf(name: string): VersionRecord[] {
    return (this.stmt.versionsOf!.all(name) as VersionRow[]).map(toRecord);
  }

  /** Versions one publisher published between `from` and `to` (epoch ms), oldest first. */
  versionsByPublisher(publisher: string, from: number, to: number): VersionRecord[] {
    return (this.stmt.byPublisher!.all(publisher, from, to) as VersionRow[]).map(toRecord);
  }

  /** One version, or undefined. */
  versionOf(name: string, version: string): VersionRecord | undefined {
    const row = this.stmt.versionOf!.get(name, version) as VersionRow | undefined;
    return row && toRecord(row);
  }

  /** The versions whose upstream tarball has this basename (normally one). */
  versionsByTarball(name: string, tarball: string): VersionRecord[] {
    return (this.stmt.byTarball!.all(name, tarball) as VersionRow[]).map(toRecord);
  }

  /** Every version in `state`, ordered by package and version. */
  versionsInState(state: VersionState): VersionRecord[] {
    return (this.stmt.byState!.all(state) as VersionRow[]).map(toRecord);
  }

  /** The versions in any of `states` that changed last, newest first (at most `limit`). */
  recentInStates(states: readonly VersionState[], limit: number): VersionRecord[] {
    const rows = states.flatMap((s) => this.stmt.recentInState!.all(s, limit) as VersionRow[]);
    return rows
      .sort((a, b) => b.updated_at - a.updated_at)
      .slice(0, limit)
      .map(toRecord);
  }

  /** Versions of a package still in quarantine whose analysis came back clean (time alone will release them). */
  cleanWaiting(name: string): VersionRecord[] {
    return (this.stmt.cleanWaiting!.all(name) as VersionRow[]).map(toRecord);
  }

  /** Names of packages with at least one version in `state`. */
  packagesInState(state: VersionState): string[] {
    return (this.stmt.packagesInState!.all(state) as { package: string }[]).map((r) => r.package);
  }

  /** Names of packages with a version that entered `state` (or changed in it) at or after `since`. */
  packagesInStateSince(state: VersionState, since: number): string[] {
    return (this.stmt.packagesChangedSince!.all(state, since) as { package: string }[]).map((r) => r.package);
  }

  /**
   * Records what one look at upstream found: the package (if new), versions seen for the first time
   * (each with a `first-sight` audit entry) and state changes. One transaction; returns the transitions
   * that applied (a transition whose `from` no longer matches is skipped).
   */
  recordSighting(
    name: string,
    at: number,
    inserts: readonly VersionRecord[],
    transitions: readonly Transition[],
    jobs: readonly JobSpec[] = [],
    findings: readonly SightingFindings[] = [],
  ): Transition[] {
    return this.db.transaction(() => {
      this.stmt.insertPackage!.run(name, at);
      const inserted = new Set<string>();
      for (const record of inserts) {
        // Another process may have recorded the same sighting first; its row stands.
        if (this.stmt.insertVersion!.run(record).changes === 0) continue;
        inserted.add(record.version);
        this.auditLog.append({
          at,
          package: record.package,
          version: record.version,
          fromState: null,
          toState: record.state,
          cause: 'first-sight',
          detail: { reason: record.reason, publishedAt: record.publishedAt, integrity: record.integrity },
        });
        // A version first seen already held (no integrity to verify) is announced like any other hold.
        const event = eventOf({ to: record.state });
        if (event)
          this.outbox.enqueue({
            package: record.package,
            version: record.version,
            from: null,
            to: record.state,
            reason: record.reason,
            cause: 'first-sight',
            at,
            event,
          });
      }
      for (const f of findings) {
        if (!inserted.has(f.version)) continue;
        this.stmt.insertAnalysis!.run({
          package: name,
          version: f.version,
          integrity: f.integrity,
          previousVersion: null,
          findings: JSON.stringify(f.findings),
          digest: f.digest,
          maxSeverity: f.maxSeverity,
          analyzerVersion: f.analyzerVersion,
          finishedAt: at,
        });
      }
      for (const job of jobs) if (inserted.has(job.version)) this.stmt.insertJob!.run({ ...job, at });
      return transitions.filter((t) => this.transitions.apply(t));
    })();
  }

  /** Applies one state change if the version is still in `from`; true when it applied. */
  transition(t: Transition): boolean {
    return this.db.transaction(() => this.transitions.apply(t))();
  }

  /**
   * Records the sha512 of a version's verified bytes (first writer wins) and returns the one on record:
   * a different answer from a later download means upstream served other bytes that also match the pin.
   */
  recordBlob(name: string, version: string, integrity: string, blob: string): string | null {
    this.stmt.setBlob!.run(blob, name, version, integrity);
    const row = this.stmt.versionOf!.get(name, version) as VersionRow | undefined;
    return row && row.integrity === integrity ? row.blob : null;
  }

  /** Notes that upstream metadata of a package was fetched at `at`. */
  markRefreshed(name: string, at: number): void {
    this.stmt.markRefreshed!.run(at, name);
  }

  /** Audit entries of one package after `afterId`, oldest first. */
  auditOf(name: string, afterId = 0, limit = 100): AuditEntry[] {
    return this.auditLog.ofPackage(name, afterId, limit);
  }
}
