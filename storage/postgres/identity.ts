/**
 * The data folder's identity against a shared PostgreSQL store. Every mirror keeps its own data folder
 * (verified tarball bytes); its identity file names the store it belongs to (the store's id, kept in
 * `meta` as `data-id`, the same for every mirror of the store) and the audit head this folder last saw.
 * Opening refuses a store of another id (foreign), an empty store where this folder had one (lost),
 * and a store whose audit chain no longer holds the head this folder recorded (rolled back: restored
 * from an old dump, or pointed at a stale replica). A new, empty folder joins the store it is given.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { DataFolderError, hasStoredData, readIdentity, writeIdentity, type DataIdentity } from '../data-folder';
import type { Sql } from './connection';
import { auditHead } from './audit';

const RESTORE_HINT =
  'Point CORDON_DATABASE_URL at the right database, restore it from a backup, or, to accept the loss and re-baseline on purpose, give this mirror a new, empty data folder';

/** Checks (and for a new folder, writes) the identity of `dataDir` against the store; returns it. Changes nothing when it refuses. */
export async function checkIdentity(sql: Sql, dataDir: string, where: string, now: number): Promise<DataIdentity> {
  mkdirSync(dataDir, { recursive: true });
  const identity = readIdentity(dataDir);
  const storeId = async () => (await sql.one<{ value: string }>("SELECT value FROM meta WHERE key = 'data-id'"))?.value ?? null;
  let id = await storeId();
  const head = await auditHead(sql);
  if (!identity) {
    if (id === null) {
      if (head === null && hasStoredData(dataDir)) {
        throw new DataFolderError(
          'STORE_LOST',
          `The data folder ${dataDir} holds cached packages and tarballs, but the PostgreSQL store ${where} is empty. Starting with an empty store would turn every held, rejected and blocked version into a released baseline, so Cordon will not start. ${RESTORE_HINT}.`,
        );
      }
      // A new store: the first mirror to start names it (first writer wins across mirrors).
      await sql.run("INSERT INTO meta (key, value) VALUES ('data-id', $1) ON CONFLICT DO NOTHING", [randomUUID()]);
      id = (await storeId())!;
    }
    // A new data folder joins the store as it stands.
    const created: DataIdentity = { format: 'cordon-data/1', id, createdAt: new Date(now).toISOString(), auditHead: head };
    writeIdentity(dataDir, created);
    return created;
  }
  if (id === null && head === null) {
    throw new DataFolderError(
      'STORE_LOST',
      `The PostgreSQL store ${where} is empty, but this data folder (store ${identity.id}) had one${identity.auditHead ? ` with ${identity.auditHead.id} audit entries` : ''}. Starting with an empty store would turn every held, rejected and blocked version into a released baseline, so Cordon will not start. ${RESTORE_HINT}.`,
    );
  }
  if (id !== identity.id) {
    throw new DataFolderError(
      'STORE_FOREIGN',
      `The PostgreSQL store ${where} is ${id === null ? 'not named (it was created elsewhere or by hand)' : `store ${id}`}, not the one this data folder belongs to (${identity.id}). Cordon will not mix the decisions of one store with the tarballs of another. ${RESTORE_HINT}.`,
    );
  }
  if (identity.auditHead) {
    const entry = await sql.one<{ hash: string }>('SELECT hash FROM audit_log WHERE id = $1', [identity.auditHead.id]);
    if (!entry || entry.hash !== identity.auditHead.hash) {
      throw new DataFolderError(
        'STORE_ROLLED_BACK',
        `The PostgreSQL store ${where} ends at audit entry ${head?.id ?? 0}, before the ${identity.auditHead.id} entries this data folder had seen${entry ? ' (and that entry differs)' : ''}: it was rolled back (an old dump restored, or a stale replica), and decisions made since are missing. Cordon will not start on it. ${RESTORE_HINT}.`,
      );
    }
  }
  return identity;
}

/** Keeps the identity file's audit head in step with the store; written only from committed data, so it never runs ahead. */
export class PgIdentityKeeper {
  constructor(
    private readonly dataDir: string,
    private identity: DataIdentity,
  ) {}

  get current(): DataIdentity {
    return this.identity;
  }

  async sync(sql: Sql): Promise<void> {
    const head = await auditHead(sql);
    const last = this.identity.auditHead;
    if (head === null || (last && last.id === head.id && last.hash === head.hash)) return;
    // Another mirror may have moved the head further meanwhile; a head behind ours is never written back.
    if (last && head.id < last.id) return;
    this.identity = { ...this.identity, auditHead: head };
    writeIdentity(this.dataDir, this.identity);
  }
}
