/** Refusal tallies, upstream absences and operating figures, on PostgreSQL. */
import type { OpsPort, RefusalPort, WithdrawalPort } from '../ports';
import type { RefusalTally } from '../refusal-store';
import type { StoredAbsence } from '../withdrawal-store';
import type { Access } from './access';
import type { Sql } from './connection';
import { toAbsence, type AbsenceRow } from '../rows';

export function refusalPort(a: Access): RefusalPort {
  return {
    add: async (batch) => {
      if (batch.length === 0) return;
      await a.write(async (sql) => {
        for (const e of batch) {
          await sql.run(
            `INSERT INTO refusals (package, version, count, first_at, last_at, last_user_agent) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (package, version) DO UPDATE SET
               count = refusals.count + EXCLUDED.count,
               first_at = LEAST(refusals.first_at, EXCLUDED.first_at),
               last_user_agent = CASE WHEN EXCLUDED.last_at >= refusals.last_at THEN EXCLUDED.last_user_agent ELSE refusals.last_user_agent END,
               last_at = GREATEST(refusals.last_at, EXCLUDED.last_at)`,
            [e.package, e.version, e.count, e.firstAt, e.lastAt, e.lastUserAgent],
          );
        }
      });
    },
    ofPackage: (name) =>
      a.read(async (sql) => {
        const out = new Map<string, RefusalTally>();
        const rows = await sql.rows<{ version: string; count: number; first_at: number; last_at: number; last_user_agent: string | null }>(
          'SELECT version, count, first_at, last_at, last_user_agent FROM refusals WHERE package = $1',
          [name],
        );
        for (const r of rows)
          out.set(r.version, { count: r.count, firstAt: r.first_at, lastAt: r.last_at, lastUserAgent: r.last_user_agent });
        return out;
      }),
  };
}

async function absence(sql: Sql, name: string, version: string): Promise<StoredAbsence | undefined> {
  const row = await sql.one<AbsenceRow>('SELECT * FROM withdrawals WHERE package = $1 AND version = $2', [name, version]);
  return row && toAbsence(row);
}

export function withdrawalPort(a: Access): WithdrawalPort {
  return {
    // Withdrawals decide what is visible, so their writes count as changes of the package.
    missing: (name, version, now, source, gapMs) =>
      a.write(
        async (sql) => {
          const note = source.slice(0, 500);
          const added = await sql.run(
            'INSERT INTO withdrawals (package, version, first_missing_at, last_missing_at, misses, last_source) VALUES ($1, $2, $3, $3, 1, $4) ON CONFLICT DO NOTHING',
            [name, version, now, note],
          );
          if (added === 0) {
            await sql.run(
              'UPDATE withdrawals SET misses = misses + 1, last_missing_at = $1, last_source = $2 WHERE package = $3 AND version = $4 AND cleared_at IS NULL AND last_missing_at <= $5',
              [now, note, name, version, now - gapMs],
            );
          }
          return (await absence(sql, name, version))!;
        },
        [name],
      ),
    of: (name, version) => a.read((sql) => absence(sql, name, version)),
    shown: (name, listed) =>
      a.write(
        async (sql) => {
          for (const { version } of await sql.rows<{ version: string }>('SELECT version FROM withdrawals WHERE package = $1', [name])) {
            if (listed(version)) await sql.run('DELETE FROM withdrawals WHERE package = $1 AND version = $2', [name, version]);
          }
        },
        [name],
      ),
    hasPending: (name) =>
      a.read(
        async (sql) => (await sql.one('SELECT 1 FROM withdrawals WHERE package = $1 AND cleared_at IS NULL LIMIT 1', [name])) !== undefined,
      ),
    clear: (name, version, at, by) =>
      a.write(
        async (sql) =>
          void (await sql.run('UPDATE withdrawals SET cleared_at = $1, cleared_by = $2 WHERE package = $3 AND version = $4', [
            at,
            by,
            name,
            version,
          ])),
        [name],
      ),
    lastTransitionCause: (name, version) =>
      a.read(
        async (sql) =>
          (
            await sql.one<{ cause: string }>(
              'SELECT cause FROM audit_log WHERE package = $1 AND version = $2 AND to_state IS NOT NULL ORDER BY id DESC LIMIT 1',
              [name, version],
            )
          )?.cause ?? null,
      ),
  };
}

export function opsPort(a: Access, probe: (now: number) => Promise<void>): OpsPort {
  return {
    versionsByState: () =>
      a.read(async (sql) => {
        const out: Record<string, number> = {};
        for (const row of await sql.rows<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM versions GROUP BY state'))
          out[row.state] = row.n;
        return out;
      }),
    probe,
  };
}
