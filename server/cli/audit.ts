/**
 * `cordon audit verify` checks the hash chain and every signed decision; `cordon audit export DIR`
 * writes each decision's statement and signature with an allowed_signers file, so `ssh-keygen -Y verify`
 * confirms them without Cordon.
 *
 * By default the log is read through the mirror's HTTP API: anyone who can read the mirror can audit it,
 * from anywhere, with nothing but this CLI. `--db FILE` reads a SQLite file (or a PostgreSQL backup, or
 * `--db postgres://…` the PostgreSQL store) instead (read-only), for an
 * operator checking a backup, or a mirror whose HTTP answers they do not want to trust; only the file
 * shows the highest id ever used, so only it catches a deleted tail without --expect-head.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { verifyAudit, type AuditReport } from '../approvals/audit-verify';
import { exportAudit } from './audit-export';
import { readAuditFile, type AuditEntry } from '../../storage';
import { COMMON_OPTIONS, CordonClient, mirrorUrl, parseCommand } from './cordon-client';
import { EXIT, reportError, UsageError } from './error-text';

const USAGE = `usage: cordon audit verify [--db FILE] [--expect-head ID:HASH] [--registry URL] [--json]
       cordon audit export DIR [--db FILE] [--registry URL]

  verify          check the hash chain of the whole audit log and the signature of every decision in it
  export DIR      write decisions/*.json (the signed statements), decisions/*.sig, allowed_signers,
                  audit.jsonl and verify.sh into DIR (new or empty); passkey decisions
                  with their public key, authenticatorData, clientDataJSON and signature for openssl
  --db FILE       read the SQLite file or a PostgreSQL backup (read-only) instead of asking the mirror;
  --db postgres://USER@HOST/DB   or read the PostgreSQL store itself (one snapshot)
  --expect-head   an ID:HASH printed by an earlier verify: also detects entries cut from the end
`;

async function load(
  db: string | undefined,
  registry: string | undefined,
): Promise<{ entries: AuditEntry[]; sequence: number | null; source: string }> {
  if (db && /^postgres(ql)?:\/\//i.test(db)) {
    // Loaded only when asked for, so the SQLite default never loads the PostgreSQL driver.
    const { readPostgresAudit } = await import('../../storage/postgres');
    return { ...(await readPostgresAudit(db)), source: db.replace(/:[^:@/]*@/, ':***@') };
  }
  if (db) {
    const path = resolve(db);
    if (!existsSync(path)) throw new UsageError('USAGE', `${path} does not exist; give the cordon.sqlite file of the mirror's data folder`);
    const { isPostgresBackup, readPostgresBackupAudit } = await import('../../storage/postgres/backup');
    return { ...(isPostgresBackup(path) ? readPostgresBackupAudit(path) : readAuditFile(path)), source: path };
  }
  const client = new CordonClient(mirrorUrl(registry));
  return { ...(await client.audit()), sequence: null, source: client.baseUrl };
}

function parseHead(value: string | undefined): { id: number; hash: string } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+):([0-9a-f]{64})$/.exec(value);
  if (!m) throw new UsageError('USAGE', '--expect-head must be ID:HASH as printed by "cordon audit verify"');
  return { id: Number(m[1]), hash: m[2]! };
}

function summary(report: AuditReport, source: string): string {
  if (report.problems.length) {
    return `${report.problems.map((p) => `  entry ${p.id}: ${p.message} [${p.code}]`).join('\n')}\n\nThe audit log of ${source} has ${report.problems.length} problem(s): it was changed outside Cordon. Keep a copy of the database as evidence and restore from a backup you trust.\n`;
  }
  const head = report.head
    ? `\nHead: ${report.head.id}:${report.head.hash}\nKeep it, and pass --expect-head ${report.head.id}:${report.head.hash} next time to detect entries cut from the end.`
    : '';
  return `OK: ${report.entries} entries in an unbroken hash chain, ${report.decisions.length} signed decision(s) verified (${source}).${head}\n`;
}

export async function auditCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, { ...COMMON_OPTIONS, db: { type: 'string' }, 'expect-head': { type: 'string' } });
    if (values.help || positionals.length === 0) {
      process.stdout.write(USAGE);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const [sub, ...rest] = positionals;
    if (sub === 'verify' && rest.length === 0) {
      const head = parseHead(values['expect-head']);
      const { entries, sequence, source } = await load(values.db, values.registry);
      const report = verifyAudit(entries, { sequence, head });
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ source, entries: report.entries, decisions: report.decisions.length, head: report.head, problems: report.problems }, null, 2)}\n`
          : summary(report, source),
      );
      return report.problems.length ? EXIT.refused : EXIT.ok;
    }
    if (sub === 'export' && rest.length === 1) {
      const { entries, sequence, source } = await load(values.db, values.registry);
      const report = verifyAudit(entries, { sequence });
      process.stdout.write(exportAudit(resolve(rest[0]!), entries, report));
      if (report.problems.length) {
        process.stdout.write(summary(report, source));
        return EXIT.refused;
      }
      return EXIT.ok;
    }
    throw new UsageError(
      'USAGE',
      sub === 'verify' || sub === 'export' ? `wrong arguments for audit ${sub}` : `unknown audit command ${JSON.stringify(sub)}`,
    );
  } catch (err) {
    return reportError('audit', err, USAGE);
  }
}
