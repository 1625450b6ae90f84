/** Reads another Cordon store file (a backup, or a store moved aside) read-only, without migrating it. */
import Database from 'better-sqlite3';
import type { VersionState } from '../server/policy/version-state';

/** What an earlier store knew: every version's state, the packages it had seen, and its mirror id. */
export interface EarlierStore {
  readonly versions: ReadonlyArray<{
    package: string;
    version: string;
    state: VersionState;
    publishedAt: number | null;
    integrity: string | null;
    reason: string;
  }>;
  readonly packages: readonly string[];
  readonly mirrorId: string | null;
}

export function readEarlierStore(file: string): EarlierStore {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const versions = db
      .prepare('SELECT package, version, state, published_at AS publishedAt, integrity, reason FROM versions ORDER BY package, version')
      .all() as EarlierStore['versions'];
    const packages = (db.prepare('SELECT name FROM packages ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
    let mirrorId: string | null = null;
    try {
      mirrorId = (db.prepare("SELECT value FROM meta WHERE key = 'mirror-id'").get() as { value: string } | undefined)?.value ?? null;
    } catch {
      // A store from before signed decisions has no meta table.
    }
    return { versions, packages, mirrorId };
  } finally {
    db.close();
  }
}
