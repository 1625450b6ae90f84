/** Typed access to packages, versions and the audit log; every statement prepared once. */
import type { Statement } from 'better-sqlite3';
import type { VersionRecord, VersionState } from '../server/policy/version-state';
import type { Db } from './database';

/** A change of state, written together with its audit entry. */
export interface Transition {
  readonly package: string;
  readonly version: string;
  readonly from: VersionState;
  readonly to: VersionState;
  readonly reason: string;
  /** Short machine-readable cause for the audit log (`first-sight`, `cooldown-ended`, `integrity-changed`, …). */
  readonly cause: string;
  readonly at: number;
  readonly detail?: Record<string, unknown>;
}

/** One audit log entry. */
export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly package: string;
  readonly version: string | null;
  readonly fromState: VersionState | null;
  readonly toState: VersionState | null;
  readonly cause: string;
  readonly detail: Record<string, unknown> | null;
}

interface VersionRow {
  package: string;
  version: string;
  state: VersionState;
  published_at: number | null;
  first_seen_at: number;
  integrity: string | null;
  tarball: string | null;
  reason: string;
  updated_at: number;
}

interface AuditRow {
  id: number;
  at: number;
  package: string;
  version: string | null;
  from_state: VersionState | null;
  to_state: VersionState | null;
  cause: string;
  detail: string | null;
}

const toRecord = (r: VersionRow): VersionRecord => ({
  package: r.package,
  version: r.version,
  state: r.state,
  publishedAt: r.published_at,
  firstSeenAt: r.first_seen_at,
  integrity: r.integrity,
  tarball: r.tarball,
  reason: r.reason,
  updatedAt: r.updated_at,
});

const toAudit = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  package: r.package,
  version: r.version,
  fromState: r.from_state,
  toState: r.to_state,
  cause: r.cause,
  detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
});

/** The lifecycle store. All writes that belong together run in one transaction. */
export class VersionStore {
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly db: Db) {
    this.stmt = {
      packageExists: db.prepare('SELECT 1 FROM packages WHERE name = ?'),
      insertPackage: db.prepare('INSERT OR IGNORE INTO packages (name, first_seen_at) VALUES (?, ?)'),
      markRefreshed: db.prepare('UPDATE packages SET refreshed_at = ? WHERE name = ?'),
      versionsOf: db.prepare('SELECT * FROM versions WHERE package = ?'),
      versionOf: db.prepare('SELECT * FROM versions WHERE package = ? AND version = ?'),
      byTarball: db.prepare('SELECT * FROM versions WHERE package = ? AND tarball = ?'),
      byState: db.prepare('SELECT * FROM versions WHERE state = ? ORDER BY package, version'),
      packagesInState: db.prepare('SELECT DISTINCT package FROM versions WHERE state = ? ORDER BY package'),
      insertVersion: db.prepare(
        `INSERT OR IGNORE INTO versions (package, version, state, published_at, first_seen_at, integrity, tarball, reason, updated_at)
         VALUES (@package, @version, @state, @publishedAt, @firstSeenAt, @integrity, @tarball, @reason, @updatedAt)`,
      ),
      setState: db.prepare('UPDATE versions SET state = ?, reason = ?, updated_at = ? WHERE package = ? AND version = ? AND state = ?'),
      audit: db.prepare('INSERT INTO audit_log (at, package, version, from_state, to_state, cause, detail) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      auditOf: db.prepare('SELECT * FROM audit_log WHERE package = ? AND id > ? ORDER BY id LIMIT ?'),
      auditAll: db.prepare('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?'),
    };
  }

  /** True when the package has been seen before. */
  hasPackage(name: string): boolean {
    return this.stmt.packageExists!.get(name) !== undefined;
  }

  /** Every known version of a package: one indexed lookup. */
  versionsOf(name: string): VersionRecord[] {
    return (this.stmt.versionsOf!.all(name) as VersionRow[]).map(toRecord);
  }

  /** One version, or undefined. */
  versionOf(name: string, version: string): VersionRecord | undefined {
    const row = this.stmt.versionOf!.get(name, version) as VersionRow | undefined;
    return row && toRecord(row);
  }

  /** The version whose upstream tarball has this basename, or undefined. */
  versionByTarball(name: string, tarball: string): VersionRecord | undefined {
    const row = this.stmt.byTarball!.get(name, tarball) as VersionRow | undefined;
    return row && toRecord(row);
  }

  /** Every version in `state`, ordered by package and version. */
  versionsInState(state: VersionState): VersionRecord[] {
    return (this.stmt.byState!.all(state) as VersionRow[]).map(toRecord);
  }

  /** Names of packages with at least one version in `state`. */
  packagesInState(state: VersionState): string[] {
    return (this.stmt.packagesInState!.all(state) as { package: string }[]).map((r) => r.package);
  }

  /**
   * Records what one look at upstream found: the package (if new), versions seen for the first time
   * (each with a `first-sight` audit entry) and state changes. One transaction; returns the transitions
   * that applied (a transition whose `from` no longer matches is skipped).
   */
  recordSighting(name: string, at: number, inserts: readonly VersionRecord[], transitions: readonly Transition[]): Transition[] {
    return this.db.transaction(() => {
      this.stmt.insertPackage!.run(name, at);
      for (const record of inserts) {
        // Another process may have recorded the same sighting first; its row stands.
        if (this.stmt.insertVersion!.run(record).changes === 0) continue;
        this.stmt.audit!.run(at, record.package, record.version, null, record.state, 'first-sight', JSON.stringify({ reason: record.reason, publishedAt: record.publishedAt, integrity: record.integrity }));
      }
      return transitions.filter((t) => this.applyTransition(t));
    })();
  }

  /** Applies one state change if the version is still in `from`; true when it applied. */
  transition(t: Transition): boolean {
    return this.db.transaction(() => this.applyTransition(t))();
  }

  private applyTransition(t: Transition): boolean {
    const changed = this.stmt.setState!.run(t.to, t.reason, t.at, t.package, t.version, t.from).changes > 0;
    if (changed) {
      this.stmt.audit!.run(t.at, t.package, t.version, t.from, t.to, t.cause, JSON.stringify({ reason: t.reason, ...t.detail }));
    }
    return changed;
  }

  /** Notes that upstream metadata of a package was fetched at `at`. */
  markRefreshed(name: string, at: number): void {
    this.stmt.markRefreshed!.run(at, name);
  }

  /** Audit entries of one package after `afterId`, oldest first. */
  auditOf(name: string, afterId = 0, limit = 100): AuditEntry[] {
    return (this.stmt.auditOf!.all(name, afterId, limit) as AuditRow[]).map(toAudit);
  }

  /** Audit entries of every package after `afterId`, oldest first. */
  audit(afterId = 0, limit = 100): AuditEntry[] {
    return (this.stmt.auditAll!.all(afterId, limit) as AuditRow[]).map(toAudit);
  }
}
