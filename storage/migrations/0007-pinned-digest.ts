/**
 * Migration 7: one pinned digest per version. `integrity` now holds exactly one digest (the strongest
 * upstream gave at first sight), `blob` the sha512 of the verified bytes in the content-addressed store
 * (known at first sight when the pin is a sha512), and `tarball_url` the upstream address the bytes
 * come from. Rows written before keep their strongest digest; a row whose recorded integrity named two
 * different digests of its strongest algorithm is blocked, with its audit entry.
 */
import type { Db } from '../database';
import { AuditLog } from '../audit-log';
import { pinDigest } from '../../server/policy/digest-pin';

export const sql = `
ALTER TABLE versions ADD COLUMN tarball_url TEXT;
ALTER TABLE versions ADD COLUMN blob TEXT;
ALTER TABLE jobs ADD COLUMN previous_integrity TEXT;
`;

/** The pin of an integrity string as Cordon used to store it (`sha512-… sha1-…`). */
function pinOf(stored: string): ReturnType<typeof pinDigest> {
  return pinDigest({ integrity: stored });
}

export function run(db: Db): void {
  const audit = new AuditLog(db);
  const rows = db.prepare('SELECT package, version, state, integrity FROM versions WHERE integrity IS NOT NULL').all() as Array<{
    package: string;
    version: string;
    state: string;
    integrity: string;
  }>;
  const setPin = db.prepare('UPDATE versions SET integrity = ?, blob = ? WHERE package = ? AND version = ?');
  const block = db.prepare("UPDATE versions SET state = 'blocked', reason = ?, updated_at = ? WHERE package = ? AND version = ?");
  const repinJobs = db.prepare('UPDATE jobs SET integrity = ? WHERE package = ? AND version = ? AND integrity = ?');
  const repinAnalyses = db.prepare('UPDATE analyses SET integrity = ? WHERE package = ? AND version = ? AND integrity = ?');
  const now = Date.now();
  for (const row of rows) {
    const pin = pinOf(row.integrity);
    if (pin.kind === 'pinned') {
      if (pin.digest.sri === row.integrity) {
        if (pin.digest.algorithm === 'sha512') setPin.run(row.integrity, row.integrity, row.package, row.version);
        continue;
      }
      setPin.run(pin.digest.sri, pin.digest.algorithm === 'sha512' ? pin.digest.sri : null, row.package, row.version);
      repinJobs.run(pin.digest.sri, row.package, row.version, row.integrity);
      repinAnalyses.run(pin.digest.sri, row.package, row.version, row.integrity);
    } else if (row.state !== 'blocked') {
      const reason = `upstream's integrity for this version cannot be pinned to one digest: ${pin.kind === 'refused' ? pin.reason : 'it names no digest Cordon can check'}`;
      block.run(reason, now, row.package, row.version);
      audit.append({
        at: now,
        package: row.package,
        version: row.version,
        fromState: row.state as never,
        toState: 'blocked',
        cause: 'integrity-ambiguous',
        detail: { reason, integrity: row.integrity },
      });
    }
  }
}
