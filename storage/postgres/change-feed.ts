/**
 * The change feed of a PostgreSQL store, shared across mirrors: one dedicated connection LISTENs on
 * `cordon_changes` (a trigger notifies on every commit that changed a package's versions or
 * withdrawals), and each package's generation is an in-memory counter moved by those notifications
 * and by this mirror's own commits, so `generation(name)` stays a map lookup. Generations are only
 * compared for change, never with the database's. While the connection is down `live` is false;
 * it reconnects on its own with backoff, and on reconnecting moves every generation (whatever changed
 * meanwhile went unheard, so every cache must be dropped).
 */
import pg from 'pg';
import type { ChangeFeed } from '../ports';
import { clientConfig } from './connection';

export const CHANGES_CHANNEL = 'cordon_changes';

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/**
 * The listening connection is asked for a sign of life this often: a connection that died silently (a
 * partition) would otherwise look live while hearing nothing. One answer missing for a heartbeat
 * and a half counts as lost.
 */
const HEARTBEAT_MS = 1_000;

export class PgChangeFeed implements ChangeFeed {
  private readonly generations = new Map<string, number>();
  private readonly subscribers = new Set<(name: string) => void>();
  private client: pg.Client | null = null;
  private connected = false;
  private stopped = false;
  private backoffMs = BACKOFF_MIN_MS;
  private retry: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Backend pids of this store's own pool connections: their commits moved the feed already, at commit. */
  private readonly own = new Set<number>();

  constructor(
    private readonly url: string,
    private readonly connectTimeoutMs: number,
  ) {}

  get live(): boolean {
    return this.connected && !this.stopped;
  }

  generation(name: string): number {
    return this.generations.get(name) ?? -1;
  }

  subscribe(fn: (name: string) => void): () => void {
    this.subscribers.add(fn);
    return () => void this.subscribers.delete(fn);
  }

  /** Moves the generations of `names` and tells the subscribers (this mirror's commits, and notifications). */
  changed(names: Iterable<string>): void {
    for (const name of new Set(names)) {
      this.generations.set(name, (this.generations.get(name) ?? 0) + 1);
      for (const fn of [...this.subscribers]) {
        try {
          fn(name);
        } catch {
          // A subscriber's fault must not stop the others, nor the feed.
        }
      }
    }
  }

  /** Follows the connections of this store's pool, so notifications of its own commits are not heard twice. */
  watch(pool: pg.Pool): void {
    const pidOf = (client: unknown): number | null => (client as { processID?: number | null }).processID ?? null;
    pool.on('connect', (client) => {
      const pid = pidOf(client);
      if (pid !== null) this.own.add(pid);
    });
    pool.on('remove', (client) => {
      const pid = pidOf(client);
      if (pid !== null) this.own.delete(pid);
    });
  }

  /** Connects for the first time; throws when it cannot (the store then does not open). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.heartbeat) clearInterval(this.heartbeat);
    const client = this.client;
    this.client = null;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(clientConfig(this.url, this.connectTimeoutMs));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === CHANGES_CHANNEL && msg.payload && !this.own.has(msg.processId)) this.changed([msg.payload]);
    });
    try {
      await client.connect();
      // Listen first, then read the packages: a change committed in between is heard, not missed.
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      const { rows } = await client.query<{ name: string; generation: number }>('SELECT name, generation FROM packages');
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      const known = new Map(this.generations);
      for (const r of rows) if (!known.has(r.name)) this.generations.set(r.name, r.generation);
      // Whatever changed while nobody listened went unheard: every package known before counts as changed.
      if (known.size > 0) this.changed(known.keys());
      this.client = client;
      this.connected = true;
      this.backoffMs = BACKOFF_MIN_MS;
      this.beat(client);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  private beat(client: pg.Client): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    let waiting = false;
    this.heartbeat = setInterval(() => {
      if (client !== this.client || waiting) return;
      waiting = true;
      const timer = setTimeout(() => this.lost(client), HEARTBEAT_MS * 1.5);
      client.query('SELECT 1').then(
        () => {
          clearTimeout(timer);
          waiting = false;
        },
        () => {
          clearTimeout(timer);
          this.lost(client);
        },
      );
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private lost(client: pg.Client): void {
    if (client !== this.client) return;
    this.client = null;
    this.connected = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    client.end().catch(() => undefined);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.retry) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.stopped) return;
      this.connect().catch(() => this.schedule());
    }, wait);
    this.retry.unref();
  }
}
