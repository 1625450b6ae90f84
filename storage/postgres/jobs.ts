/** The analysis job outbox on PostgreSQL; claims are fair across packages exactly as in SQLite. */
import type { JobPort } from '../ports';
import type { Job, JobStatus } from '../job-store';
import type { Access } from './access';
import type { Sql } from './connection';
import { lowestVersion, toJob, type JobRow } from '../rows';

async function claim(sql: Sql, now: number, lockMs: number, limit: number, perPackage: number): Promise<Job[]> {
  const active = new Map(
    (
      await sql.rows<{ package: string; n: number }>("SELECT package, COUNT(*) AS n FROM jobs WHERE status = 'active' GROUP BY package")
    ).map((r) => [r.package, r.n]),
  );
  const claimed: Job[] = [];
  // Round after round, each package with room gets one more job, until `limit` are claimed.
  let packages = (
    await sql.rows<{ package: string }>(
      "SELECT package, MIN(created_at) AS oldest FROM jobs WHERE status = 'waiting' AND run_after <= $1 GROUP BY package ORDER BY oldest, package",
      [now],
    )
  ).map((r) => r.package);
  while (claimed.length < limit && packages.length > 0) {
    const next: string[] = [];
    for (const name of packages) {
      if (claimed.length >= limit) break;
      if ((active.get(name) ?? 0) >= perPackage) continue;
      const taken = new Set(claimed.map((j) => j.id));
      const ready = (
        await sql.rows<JobRow>(
          "SELECT * FROM jobs WHERE status = 'waiting' AND package = $1 AND run_after <= $2 ORDER BY created_at, id LIMIT 1000",
          [name, now],
        )
      ).map(toJob);
      const job = lowestVersion(ready.filter((j) => !taken.has(j.id)));
      if (!job) continue;
      const changed = await sql.run(
        "UPDATE jobs SET status = 'active', attempts = attempts + 1, locked_until = $1, updated_at = $2 WHERE id = $3 AND status = 'waiting'",
        [now + lockMs, now, job.id],
      );
      if (changed === 0) continue;
      claimed.push({ ...job, status: 'active', attempts: job.attempts + 1, lockedUntil: now + lockMs });
      active.set(name, (active.get(name) ?? 0) + 1);
      next.push(name);
    }
    packages = next;
  }
  return claimed;
}

export function jobPort(a: Access): JobPort {
  const one = (text: string, params: readonly unknown[]) =>
    a.read(async (sql) => {
      const row = await sql.one<JobRow>(text, params);
      return row && toJob(row);
    });
  const run = (text: string, params: readonly unknown[]) => a.write(async (sql) => void (await sql.run(text, params)));
  return {
    get: (id) => one('SELECT * FROM jobs WHERE id = $1', [id]),
    latestFor: (name, version) =>
      one('SELECT * FROM jobs WHERE package = $1 AND version = $2 ORDER BY created_at DESC LIMIT 1', [name, version]),
    claim: (now, lockMs, limit, perPackage = Number.POSITIVE_INFINITY) => a.write((sql) => claim(sql, now, lockMs, limit, perPackage)),
    finish: (id, status, error, now) =>
      run('UPDATE jobs SET status = $1, locked_until = NULL, last_error = $2, updated_at = $3 WHERE id = $4', [status, error, now, id]),
    retry: (id, runAfter, error, now) =>
      run(
        "UPDATE jobs SET status = 'waiting', run_after = $1, locked_until = NULL, last_error = $2, updated_at = $3, failing_since = COALESCE(failing_since, $3) WHERE id = $4",
        [runAfter, error, now, id],
      ),
    postpone: (id, runAfter, note, now) =>
      run(
        "UPDATE jobs SET status = 'waiting', run_after = $1, locked_until = NULL, attempts = GREATEST(attempts - 1, 0), last_error = $2, updated_at = $3 WHERE id = $4",
        [runAfter, note, now, id],
      ),
    requeue: (id, now, note) =>
      run(
        "UPDATE jobs SET status = 'waiting', run_after = $1, locked_until = NULL, attempts = 0, failing_since = NULL, last_error = $2, updated_at = $1 WHERE id = $3",
        [now, note, id],
      ),
    recover: (now, all = false) =>
      a.write((sql) =>
        sql.run(
          "UPDATE jobs SET status = 'waiting', locked_until = NULL, updated_at = $1 WHERE status = 'active' AND (locked_until IS NULL OR locked_until < $2)",
          [now, all ? Number.MAX_SAFE_INTEGER : now],
        ),
      ),
    active: () =>
      a.read(async (sql) => (await sql.rows<JobRow>("SELECT * FROM jobs WHERE status = 'active' ORDER BY created_at, id")).map(toJob)),
    counts: () =>
      a.read(async (sql) => {
        const out: Record<JobStatus, number> = { waiting: 0, active: 0, done: 0, failed: 0 };
        for (const row of await sql.rows<{ status: JobStatus; n: number }>('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status'))
          out[row.status] = row.n;
        return out;
      }),
    nextRunAfter: () =>
      a.read(
        async (sql) => (await sql.one<{ t: number | null }>("SELECT MIN(run_after) AS t FROM jobs WHERE status = 'waiting'"))?.t ?? null,
      ),
  };
}
