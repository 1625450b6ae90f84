/** Refusals counted per version (how many installs tried a hidden version, first and last time, last client). */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

/** The refusals of one version, added up. */
export interface RefusalTally {
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly lastUserAgent: string | null;
}

/** A batch entry: refusals of one version since the last write. */
export interface RefusalBatchEntry extends RefusalTally {
  readonly package: string;
  readonly version: string;
}

interface Row {
  version: string;
  count: number;
  first_at: number;
  last_at: number;
  last_user_agent: string | null;
}

export class RefusalStore {
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly db: Db) {
    this.stmt = {
      add: db.prepare(
        `INSERT INTO refusals (package, version, count, first_at, last_at, last_user_agent) VALUES (@package, @version, @count, @firstAt, @lastAt, @lastUserAgent)
         ON CONFLICT (package, version) DO UPDATE SET
           count = count + excluded.count,
           first_at = MIN(first_at, excluded.first_at),
           last_user_agent = CASE WHEN excluded.last_at >= last_at THEN excluded.last_user_agent ELSE last_user_agent END,
           last_at = MAX(last_at, excluded.last_at)`,
      ),
      ofPackage: db.prepare('SELECT version, count, first_at, last_at, last_user_agent FROM refusals WHERE package = ?'),
    };
  }

  /** Adds a batch of tallies in one transaction. */
  add(batch: readonly RefusalBatchEntry[]): void {
    if (batch.length === 0) return;
    this.db.transaction(() => {
      for (const entry of batch) this.stmt.add!.run(entry);
    })();
  }

  /** The stored tallies of a package's versions, by version. */
  ofPackage(name: string): Map<string, RefusalTally> {
    const out = new Map<string, RefusalTally>();
    for (const r of this.stmt.ofPackage!.all(name) as Row[])
      out.set(r.version, { count: r.count, firstAt: r.first_at, lastAt: r.last_at, lastUserAgent: r.last_user_agent });
    return out;
  }
}
