/** Reads and writes for operating the mirror: counts for metrics, and the readiness probe of the store. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

export class OpsQueries {
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly db: Db) {
    this.stmt = {
      byState: db.prepare('SELECT state, COUNT(*) AS n FROM versions GROUP BY state'),
      read: db.prepare('SELECT MAX(id) AS id FROM schema_migrations'),
      write: db.prepare('INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at'),
    };
  }

  /** How many versions are in each state (an index scan; for metrics scrapes, not requests). */
  versionsByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.stmt.byState!.all() as { state: string; n: number }[]) out[row.state] = row.n;
    return out;
  }

  /**
   * Reads the schema version and writes one row, waiting at most `busyMs` for a lock another connection
   * holds, so a readiness probe never stalls serving for the full busy timeout. Throws what SQLite throws.
   */
  probe(now: number, busyMs = 250): void {
    this.stmt.read!.get();
    const previous = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyMs))}`);
    try {
      this.stmt.write!.run(now);
    } finally {
      this.db.pragma(`busy_timeout = ${previous}`);
    }
  }
}
