/**
 * The analysis queue in SQLite: an outbox filled in the same transaction as a first sighting. The
 * embedded runner claims jobs from it; the BullMQ runner hands them to Redis and waits for results.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { lowestVersion, toJob, type JobRow } from './rows';

export type JobStatus = 'waiting' | 'active' | 'done' | 'failed';

export interface Job {
  readonly id: string;
  readonly package: string;
  readonly version: string;
  readonly integrity: string;
  readonly previousVersion: string | null;
  readonly previousIntegrity: string | null;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly runAfter: number;
  readonly lockedUntil: number | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  /** When its current run of failed attempts began; null when the last attempt did not fail. */
  readonly failingSince: number | null;
}

export class JobStore {
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly db: Db) {
    this.stmt = {
      get: db.prepare('SELECT * FROM jobs WHERE id = ?'),
      readyPackages: db.prepare(
        "SELECT package, MIN(created_at) AS oldest FROM jobs INDEXED BY jobs_fair WHERE status = 'waiting' AND run_after <= ? GROUP BY package ORDER BY oldest, package",
      ),
      activeByPackage: db.prepare("SELECT package, COUNT(*) AS n FROM jobs INDEXED BY jobs_fair WHERE status = 'active' GROUP BY package"),
      readyOf: db.prepare(
        "SELECT * FROM jobs INDEXED BY jobs_fair WHERE status = 'waiting' AND package = ? AND run_after <= ? ORDER BY created_at LIMIT 1000",
      ),
      claim: db.prepare(
        "UPDATE jobs SET status = 'active', attempts = attempts + 1, locked_until = ?, updated_at = ? WHERE id = ? AND status = 'waiting'",
      ),
      finish: db.prepare('UPDATE jobs SET status = ?, locked_until = NULL, last_error = ?, updated_at = ? WHERE id = ?'),
      retry: db.prepare(
        "UPDATE jobs SET status = 'waiting', run_after = ?, locked_until = NULL, last_error = ?, updated_at = ?, failing_since = COALESCE(failing_since, ?) WHERE id = ?",
      ),
      postpone: db.prepare(
        "UPDATE jobs SET status = 'waiting', run_after = ?, locked_until = NULL, attempts = MAX(attempts - 1, 0), last_error = ?, updated_at = ? WHERE id = ?",
      ),
      requeue: db.prepare(
        "UPDATE jobs SET status = 'waiting', run_after = ?, locked_until = NULL, attempts = 0, failing_since = NULL, last_error = ?, updated_at = ? WHERE id = ?",
      ),
      recover: db.prepare(
        "UPDATE jobs SET status = 'waiting', locked_until = NULL, updated_at = ? WHERE status = 'active' AND (locked_until IS NULL OR locked_until < ?)",
      ),
      active: db.prepare("SELECT * FROM jobs WHERE status = 'active' ORDER BY created_at"),
      counts: db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status'),
      nextRunAfter: db.prepare("SELECT MIN(run_after) AS t FROM jobs WHERE status = 'waiting'"),
      forVersion: db.prepare('SELECT * FROM jobs WHERE package = ? AND version = ? ORDER BY created_at DESC LIMIT 1'),
    };
  }

  get(id: string): Job | undefined {
    const row = this.stmt.get!.get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  /** The newest job of a version, for the status API. */
  latestFor(name: string, version: string): Job | undefined {
    const row = this.stmt.forVersion!.get(name, version) as JobRow | undefined;
    return row && toJob(row);
  }

  /**
   * Claims up to `limit` ready jobs at `now`, locked until `now + lockMs` (a crash frees them after that).
   * Fair across packages: packages take turns (the one waiting longest first), none has more than
   * `perPackage` jobs active at once, and a package's jobs run in version order — so a burst of one
   * package's versions neither starves the others nor races itself, and each version can be compared
   * with the one before it.
   */
  claim(now: number, lockMs: number, limit: number, perPackage = Number.POSITIVE_INFINITY): Job[] {
    return this.db.transaction(() => {
      const active = new Map((this.stmt.activeByPackage!.all() as { package: string; n: number }[]).map((r) => [r.package, r.n]));
      const claimed: Job[] = [];
      // Round after round, each package with room gets one more job, until `limit` are claimed.
      let packages = (this.stmt.readyPackages!.all(now) as { package: string }[]).map((r) => r.package);
      while (claimed.length < limit && packages.length > 0) {
        const next: string[] = [];
        for (const name of packages) {
          if (claimed.length >= limit) break;
          if ((active.get(name) ?? 0) >= perPackage) continue;
          const taken = new Set(claimed.map((j) => j.id));
          const job = lowestVersion((this.stmt.readyOf!.all(name, now) as JobRow[]).map(toJob).filter((j) => !taken.has(j.id)));
          if (!job || this.stmt.claim!.run(now + lockMs, now, job.id).changes === 0) continue;
          claimed.push({ ...job, status: 'active', attempts: job.attempts + 1, lockedUntil: now + lockMs });
          active.set(name, (active.get(name) ?? 0) + 1);
          next.push(name);
        }
        packages = next;
      }
      return claimed;
    })();
  }

  /** Marks a job done or failed for good. */
  finish(id: string, status: 'done' | 'failed', error: string | null, now: number): void {
    this.stmt.finish!.run(status, error, now, id);
  }

  /** Puts a job back in the queue to run again at `runAfter` after a failed attempt (its run of failures began at the first). */
  retry(id: string, runAfter: number, error: string, now: number): void {
    this.stmt.retry!.run(runAfter, error, now, now, id);
  }

  /** Hands a claimed job back without counting the attempt: it never started (the queue it goes to was unreachable). */
  postpone(id: string, runAfter: number, note: string, now: number): void {
    this.stmt.postpone!.run(runAfter, note, now, id);
  }

  /** Queues a finished or failed job afresh (a person cleared what stopped it), with a new attempt budget. */
  requeue(id: string, now: number, note: string): void {
    this.stmt.requeue!.run(now, note, now, id);
  }

  /** Makes jobs left active by a crashed process (lock expired, or every active job when `all`) ready again. */
  recover(now: number, all = false): number {
    return this.stmt.recover!.run(now, all ? Number.MAX_SAFE_INTEGER : now).changes;
  }

  /** Jobs handed out and not finished (the BullMQ runner checks them on start). */
  active(): Job[] {
    return (this.stmt.active!.all() as JobRow[]).map(toJob);
  }

  /** How many jobs are in each status. */
  counts(): Record<JobStatus, number> {
    const out: Record<JobStatus, number> = { waiting: 0, active: 0, done: 0, failed: 0 };
    for (const row of this.stmt.counts!.all() as { status: JobStatus; n: number }[]) out[row.status] = row.n;
    return out;
  }

  /** When the next waiting job becomes ready, or null when none waits. */
  nextRunAfter(): number | null {
    return (this.stmt.nextRunAfter!.get() as { t: number | null }).t;
  }
}
