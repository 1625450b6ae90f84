/**
 * A fresh PostgreSQL database for one benchmark run, dropped afterwards: on the server CORDON_DATABASE_URL
 * names when it is set (the database in its path is only used to connect), else on the local
 * postgres://postgres@127.0.0.1:5432 the test machine runs. `null` when that server does not answer, so a
 * benchmark can leave its PostgreSQL figures out and say why instead of failing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const configured = process.env.CORDON_DATABASE_URL;
  return configured && /^postgres(ql)?:\/\//.test(configured) ? configured : 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** Redacts the password of `url` for printing. */
export function redact(url: string): string {
  return url.replace(/:[^:@/]*@/, ':***@');
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates `cordon_bench_<random>`; `{ skipped }` says why not when the server does not answer or refuses. */
export async function createBenchDatabase(): Promise<BenchDatabase | { skipped: string }> {
  const base = adminUrl();
  const name = `cordon_bench_${randomBytes(6).toString('hex')}`;
  try {
    await admin(base, (c) => c.query(`CREATE DATABASE ${name}`));
  } catch (err) {
    return { skipped: `PostgreSQL at ${redact(base)} did not create a database (${(err as Error).message})` };
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(base, async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
