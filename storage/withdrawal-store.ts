/** Answers from upstream that no longer showed a version, kept until they confirm a withdrawal or the version is shown again. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { toAbsence, type AbsenceRow } from './rows';

/** One version upstream has stopped showing, as seen so far. */
export interface StoredAbsence {
  readonly package: string;
  readonly version: string;
  readonly firstMissingAt: number;
  readonly lastMissingAt: number;
  readonly misses: number;
  /** What the last answer was (a packument without it, a 404 for its tarball). */
  readonly lastSource: string;
  /** Set when a person cleared the withdrawal block with a signed decision: this absence blocks no more. */
  readonly clearedAt: number | null;
  readonly clearedBy: string | null;
}

export class WithdrawalStore {
  private readonly stmt: Record<string, Statement>;

  constructor(db: Db) {
    this.stmt = {
      get: db.prepare('SELECT * FROM withdrawals WHERE package = ? AND version = ?'),
      insert: db.prepare(
        'INSERT OR IGNORE INTO withdrawals (package, version, first_missing_at, last_missing_at, misses, last_source) VALUES (?, ?, ?, ?, 1, ?)',
      ),
      count: db.prepare(
        'UPDATE withdrawals SET misses = misses + 1, last_missing_at = ?, last_source = ? WHERE package = ? AND version = ? AND cleared_at IS NULL AND last_missing_at <= ?',
      ),
      ofPackage: db.prepare('SELECT version FROM withdrawals WHERE package = ?'),
      pending: db.prepare('SELECT 1 FROM withdrawals WHERE package = ? AND cleared_at IS NULL LIMIT 1'),
      remove: db.prepare('DELETE FROM withdrawals WHERE package = ? AND version = ?'),
      clear: db.prepare('UPDATE withdrawals SET cleared_at = ?, cleared_by = ? WHERE package = ? AND version = ?'),
      lastCause: db.prepare(
        'SELECT cause FROM audit_log WHERE package = ? AND version = ? AND to_state IS NOT NULL ORDER BY id DESC LIMIT 1',
      ),
    };
  }

  /** Notes one answer without the version; it counts as a new miss only `gapMs` after the last counted one. Returns what is known now. */
  missing(name: string, version: string, now: number, source: string, gapMs: number): StoredAbsence {
    if (this.stmt.insert!.run(name, version, now, now, source.slice(0, 500)).changes === 0)
      this.stmt.count!.run(now, source.slice(0, 500), name, version, now - gapMs);
    return toAbsence(this.stmt.get!.get(name, version) as AbsenceRow);
  }

  /** The absence of a version, if any is on record. */
  of(name: string, version: string): StoredAbsence | undefined {
    const row = this.stmt.get!.get(name, version) as AbsenceRow | undefined;
    return row && toAbsence(row);
  }

  /** Forgets the absences of the versions upstream shows again (one read when there are none). */
  shown(name: string, listed: (version: string) => boolean): void {
    for (const { version } of this.stmt.ofPackage!.all(name) as { version: string }[])
      if (listed(version)) this.stmt.remove!.run(name, version);
  }

  /** True when some version of the package is missing and not yet cleared: the sweeper then asks upstream afresh. */
  hasPending(name: string): boolean {
    return this.stmt.pending!.get(name) !== undefined;
  }

  /** Marks an absence as cleared by a person; call inside the decision's transaction. */
  clear(name: string, version: string, at: number, by: string): void {
    this.stmt.clear!.run(at, by, name, version);
  }

  /** The audit cause of the version's last state change (`withdrawn-upstream` for a withdrawal block). */
  lastTransitionCause(name: string, version: string): string | null {
    return (this.stmt.lastCause!.get(name, version) as { cause: string } | undefined)?.cause ?? null;
  }
}
