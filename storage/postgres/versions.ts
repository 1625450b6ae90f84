/** Packages and versions on PostgreSQL: states, sightings, pinned bytes. */
import type { VersionPort } from '../ports';
import type { VersionRecord } from '../../server/policy/version-state';
import { eventOf } from '../../server/notify/events';
import type { Access } from './access';
import type { Sql } from './connection';
import { appendAudit } from './audit';
import { enqueueEvent } from './notifications';
import { applyTransition } from './transitions';
import { toRecord, type VersionRow } from '../rows';

const records = async (sql: Sql, text: string, params: readonly unknown[]): Promise<VersionRecord[]> =>
  (await sql.rows<VersionRow>(text, params)).map(toRecord);

async function versionOf(sql: Sql, name: string, version: string): Promise<VersionRecord | undefined> {
  const row = await sql.one<VersionRow>('SELECT * FROM versions WHERE package = $1 AND version = $2', [name, version]);
  return row && toRecord(row);
}

export function versionPort(a: Access): VersionPort {
  return {
    hasPackage: (name) => a.read(async (sql) => (await sql.one('SELECT 1 FROM packages WHERE name = $1', [name])) !== undefined),
    versionsOf: (name) => a.read((sql) => records(sql, 'SELECT * FROM versions WHERE package = $1 ORDER BY version', [name])),
    versionOf: (name, version) => a.read((sql) => versionOf(sql, name, version)),
    versionsByPublisher: (publisher, from, to) =>
      a.read((sql) =>
        records(sql, 'SELECT * FROM versions WHERE publisher = $1 AND published_at BETWEEN $2 AND $3 ORDER BY published_at LIMIT 10000', [
          publisher,
          from,
          to,
        ]),
      ),
    versionsByTarball: (name, tarball) =>
      a.read((sql) => records(sql, 'SELECT * FROM versions WHERE package = $1 AND tarball = $2 ORDER BY version', [name, tarball])),
    versionsInState: (state) => a.read((sql) => records(sql, 'SELECT * FROM versions WHERE state = $1 ORDER BY package, version', [state])),
    recentInStates: (states, limit) =>
      a.read((sql) =>
        records(sql, 'SELECT * FROM versions WHERE state = ANY($1::text[]) ORDER BY updated_at DESC, package, version LIMIT $2', [
          [...states],
          limit,
        ]),
      ),
    cleanWaiting: (name) =>
      a.read((sql) =>
        records(sql, "SELECT * FROM versions WHERE state = 'quarantined' AND package = $1 AND analysis = 'clean' ORDER BY version", [name]),
      ),
    packagesInState: (state) =>
      a.read(async (sql) =>
        (await sql.rows<{ package: string }>('SELECT DISTINCT package FROM versions WHERE state = $1 ORDER BY package', [state])).map(
          (r) => r.package,
        ),
      ),
    packagesInStateSince: (state, since) =>
      a.read(async (sql) =>
        (
          await sql.rows<{ package: string }>(
            'SELECT DISTINCT package FROM versions WHERE state = $1 AND updated_at >= $2 ORDER BY package',
            [state, since],
          )
        ).map((r) => r.package),
      ),

    recordSighting: (name, at, inserts, transitions, jobs = [], findings = []) =>
      a.write(
        async (sql) => {
          await sql.run('INSERT INTO packages (name, first_seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [name, at]);
          const inserted = new Set<string>();
          for (const r of inserts) {
            // Another mirror may have recorded the same sighting first; its row stands.
            const added = await sql.run(
              `INSERT INTO versions (package, version, state, published_at, first_seen_at, integrity, tarball, tarball_url, blob, reason, updated_at, analysis, max_severity, findings_digest, publisher)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING`,
              [
                r.package,
                r.version,
                r.state,
                r.publishedAt,
                r.firstSeenAt,
                r.integrity,
                r.tarball,
                r.tarballUrl,
                r.blob,
                r.reason,
                r.updatedAt,
                r.analysis,
                r.maxSeverity,
                r.findingsDigest,
                r.publisher,
              ],
            );
            if (added === 0) continue;
            inserted.add(r.version);
            await appendAudit(sql, {
              at,
              package: r.package,
              version: r.version,
              fromState: null,
              toState: r.state,
              cause: 'first-sight',
              detail: { reason: r.reason, publishedAt: r.publishedAt, integrity: r.integrity },
            });
            // A version first seen already held (no integrity to verify) is announced like any other hold.
            const event = eventOf({ to: r.state });
            if (event)
              await enqueueEvent(sql, {
                package: r.package,
                version: r.version,
                from: null,
                to: r.state,
                reason: r.reason,
                cause: 'first-sight',
                at,
                event,
              });
          }
          for (const f of findings) {
            if (!inserted.has(f.version)) continue;
            await sql.run(
              `INSERT INTO analyses (package, version, integrity, previous_version, findings, digest, max_severity, analyzer_version, timings, finished_at)
             VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, '{}', $8) ON CONFLICT DO NOTHING`,
              [name, f.version, f.integrity, JSON.stringify(f.findings), f.digest, f.maxSeverity, f.analyzerVersion, at],
            );
          }
          for (const job of jobs) {
            if (!inserted.has(job.version)) continue;
            await sql.run(
              `INSERT INTO jobs (id, package, version, integrity, previous_version, previous_integrity, status, attempts, run_after, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'waiting', 0, $7, $7, $7) ON CONFLICT DO NOTHING`,
              [job.id, job.package, job.version, job.integrity, job.previousVersion, job.previousIntegrity, at],
            );
          }
          const applied = [];
          for (const t of transitions) if (await applyTransition(sql, t)) applied.push(t);
          return applied;
        },
        [name, ...transitions.map((t) => t.package)],
      ),

    transition: (t) => a.write((sql) => applyTransition(sql, t), [t.package]),

    recordBlob: (name, version, integrity, blob) =>
      a.write(
        async (sql) => {
          await sql.run('UPDATE versions SET blob = $1 WHERE package = $2 AND version = $3 AND integrity = $4 AND blob IS NULL', [
            blob,
            name,
            version,
            integrity,
          ]);
          const row = await versionOf(sql, name, version);
          return row && row.integrity === integrity ? row.blob : null;
        },
        [name],
      ),

    markRefreshed: (name, at) =>
      a.write(async (sql) => void (await sql.run('UPDATE packages SET refreshed_at = $1 WHERE name = $2', [at, name]))),
  };
}
