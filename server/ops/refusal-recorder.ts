/**
 * Counts refusals per version for the page ("tried by 14 installs since …"). A refusal is added to a
 * tally in memory on the request path; tallies are written in one transaction every few seconds (and at
 * stop), so an install storm against a held version costs no write per request.
 */
import type { Logger } from '../logger';
import type { RefusalBatchEntry, RefusalTally } from '../../storage';
import type { RefusalPort } from '../../storage/ports';

const MAX_PENDING = 10_000;
const MAX_USER_AGENT = 256;

/** A client's User-Agent as stored and logged: printable, at most 256 characters. */
export function cleanUserAgent(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text.length > MAX_USER_AGENT ? text.slice(0, MAX_USER_AGENT) : text;
}

export class RefusalRecorder {
  private pending = new Map<string, RefusalBatchEntry>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The write in flight: one at a time, so tallies are never counted twice. */
  private writing: Promise<void> | null = null;

  constructor(
    private readonly store: RefusalPort,
    private readonly logger: Logger,
    private readonly flushMs = 2_000,
  ) {}

  /** Counts one refusal of `name@version` at `at`. */
  add(name: string, version: string, at: number, userAgent: string | null): void {
    const key = `${name}@${version}`;
    const current = this.pending.get(key);
    if (!current && this.pending.size >= MAX_PENDING) {
      void this.flush();
      if (this.pending.size >= MAX_PENDING) return; // the store is failing and memory is bounded: this one is only logged
    }
    this.pending.set(
      key,
      current
        ? {
            ...current,
            count: current.count + 1,
            firstAt: Math.min(current.firstAt, at),
            lastAt: Math.max(current.lastAt, at),
            lastUserAgent: at >= current.lastAt ? userAgent : current.lastUserAgent,
          }
        : { package: name, version, count: 1, firstAt: at, lastAt: at, lastUserAgent: userAgent },
    );
    if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes the tallies counted so far; on a store error they are kept for the next flush. Never rejects. */
  async flush(): Promise<void> {
    // biome-ignore lint/nursery/noMisusedPromises: `writing` is Promise | null: wait while a write is under way, then look again.
    while (this.writing) await this.writing;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    const write = this.write(batch);
    this.writing = write;
    try {
      await write;
    } finally {
      this.writing = null;
    }
  }

  private async write(batch: RefusalBatchEntry[]): Promise<void> {
    try {
      await this.store.add(batch);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, versions: batch.length }, 'cordon: cannot record refusal counts yet; will retry');
      for (const entry of batch) {
        const key = `${entry.package}@${entry.version}`;
        const later = this.pending.get(key);
        this.pending.set(
          key,
          later ? { ...entry, count: entry.count + later.count, lastAt: later.lastAt, lastUserAgent: later.lastUserAgent } : entry,
        );
      }
      if (!this.timer && !this.closed) {
        this.timer = setTimeout(() => {
          this.timer = null;
          void this.flush();
        }, this.flushMs);
        this.timer.unref();
      }
    }
  }

  /** The refusals of a package's versions: what is stored plus what is not written yet. */
  async of(name: string): Promise<Map<string, RefusalTally>> {
    const out = await this.store.ofPackage(name);
    // A batch being written may or may not be in what was just read; the tallies pending are not yet.
    for (const entry of this.pending.values()) {
      if (entry.package !== name) continue;
      const stored = out.get(entry.version);
      out.set(
        entry.version,
        stored
          ? {
              count: stored.count + entry.count,
              firstAt: Math.min(stored.firstAt, entry.firstAt),
              lastAt: Math.max(stored.lastAt, entry.lastAt),
              lastUserAgent: entry.lastAt >= stored.lastAt ? entry.lastUserAgent : stored.lastUserAgent,
            }
          : { count: entry.count, firstAt: entry.firstAt, lastAt: entry.lastAt, lastUserAgent: entry.lastUserAgent },
      );
    }
    return out;
  }

  /** Writes what is pending and stops the timer. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}
