import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openPostgresStore } from '../../../storage/postgres';
import { verifyAudit } from '../../../server/approvals/audit-verify';
import { createTestDatabase, withClient } from '../../helpers/postgres';
import { move, rec, T } from '../contract/contract';

/** Another mirror process: opens the store, starts a transaction that writes, says so, and hangs holding the write lock. */
const CHILD = `
const { openPostgresStore } = require(${JSON.stringify(resolve(__dirname, '../../../storage/postgres'))});
(async () => {
  const store = await openPostgresStore({ databaseUrl: process.argv[1], dataDir: process.argv[2], storeBusyTimeoutMs: 250 });
  await store.atomically(async (tx) => {
    await tx.versions.transition({ package: 'kill', version: '1.0.0', from: 'quarantined', to: 'held', reason: 'flagged', cause: 'analysis-flagged', at: ${T + 5} });
    await tx.audit.append({ at: ${T + 5}, package: 'kill', version: '1.0.0', fromState: null, toState: null, cause: 'half-written', detail: null });
    process.stdout.write('holding\\n');
    await new Promise(() => undefined);
  });
})();
`;

test('a mirror killed with -9 while it holds the write lock: nothing of its transaction is kept, and the other mirror goes on', async () => {
  const db = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'cordon-pg-kill-'));
  const store = await openPostgresStore({
    databaseUrl: db.url,
    dataDir: join(dir, 'a'),
    storeBusyTimeoutMs: 250,
    storeLockTimeoutMs: 30_000,
  });
  const child = spawn(process.execPath, ['-e', CHILD, db.url, join(dir, 'b')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await store.versions.recordSighting('kill', T, [rec('kill', '1.0.0')], []);
    await new Promise<void>((resolveHolding, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('holding') && resolveHolding());
      child.once('exit', (code) => reject(new Error(`the other mirror exited (${code}) before holding the lock`)));
    });
    // This write waits for the lock the other mirror holds…
    let done = false;
    const write = store.versions.transition(move('kill', '1.0.0', 'quarantined', 'released', T + 6)).finally(() => {
      done = true;
    });
    // Deterministically: PostgreSQL shows it waiting for the advisory lock.
    for (;;) {
      const waiting = await withClient(
        db.url,
        async (c) =>
          (
            await c.query(
              "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND NOT l.granted AND a.datname = $1",
              [db.name],
            )
          ).rowCount,
      );
      if (waiting) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(done, false, 'the write waits for the other mirror');
    // …which dies mid-transaction: PostgreSQL rolls it back and frees the lock.
    child.kill('SIGKILL');
    assert.equal(await write, true, 'the quarantined version was still quarantined: nothing of the killed transaction was kept');
    const entries = await store.audit.page(0, 100);
    assert.deepEqual(
      entries.map((e) => e.cause),
      ['first-sight', 'cooldown-ended'],
    );
    assert.deepEqual(verifyAudit(entries, { sequence: await store.audit.sequence() }).problems, []);
  } finally {
    child.kill('SIGKILL');
    await store.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
