/**
 * The readiness check: can this mirror serve correctly right now? The store reads and writes, the data
 * folder takes a file, upstream answered recently (or answers a ping now), Redis answers when the
 * pipeline uses it. Each check reports separately; one failing makes the mirror not ready.
 */
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock';

/** What one check found: ok, why not, and details (when upstream last answered, …). */
export interface CheckOutcome {
  readonly ok: boolean;
  readonly error?: string;
  readonly [detail: string]: unknown;
}

/** One check's result; `ms` is how long it took. */
export type CheckResult = CheckOutcome & { readonly ms: number };

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export interface ReadinessDeps {
  readonly clock: Clock;
  /** Reads and writes the store; throws when it cannot. */
  probeStore(now: number): Promise<void>;
  readonly dataDir: string;
  /** Upstream base URL (ends in `/`) and when it last answered (clock time). */
  readonly upstream: { readonly url: string; lastAnsweredAt(): number | null };
  /** Pings Redis, or null when the pipeline does not use it. */
  readonly redis: ((timeoutMs: number) => Promise<void>) | null;
  /** True once the mirror is stopping. */
  stopping(): boolean;
  /** Upstream counts as up if it answered within this long (default 2 minutes). */
  readonly upstreamRecentMs?: number;
  /** Longest an active upstream ping or a Redis ping may take (default 5s / 2s). */
  readonly pingTimeoutMs?: number;
  readonly redisTimeoutMs?: number;
}

/** How long a failed or successful upstream ping is reused, so frequent probes do not hammer upstream. */
const PING_REUSE_MS = 15_000;

const message = (err: unknown): string => (err as Error)?.message ?? String(err);

export class ReadinessCheck {
  private ping: { at: number; result: CheckOutcome } | null = null;
  private pinging: Promise<CheckOutcome> | null = null;

  constructor(private readonly deps: ReadinessDeps) {}

  /** Runs every check (concurrently) and reports them. */
  async check(): Promise<Readiness> {
    const checks: Record<string, CheckResult> = {};
    const run = async (name: string, fn: () => Promise<CheckOutcome>): Promise<void> => {
      const started = performance.now();
      let result: CheckOutcome;
      try {
        result = await fn();
      } catch (err) {
        result = { ok: false, error: message(err) };
      }
      checks[name] = { ...result, ms: Math.round((performance.now() - started) * 10) / 10 };
    };
    const jobs = [
      run('store', async () => {
        await this.deps.probeStore(this.deps.clock.now());
        return { ok: true };
      }),
      run('dataDir', async () => {
        const file = join(this.deps.dataDir, `.cordon-ready-${process.pid}`);
        await writeFile(file, String(this.deps.clock.now()));
        await unlink(file);
        return { ok: true };
      }),
      run('upstream', () => this.upstream()),
    ];
    const redis = this.deps.redis;
    if (redis)
      jobs.push(
        run('redis', async () => {
          await redis(this.deps.redisTimeoutMs ?? 2_000);
          return { ok: true };
        }),
      );
    if (this.deps.stopping()) checks.shutdown = { ok: false, ms: 0, error: 'the mirror is stopping' };
    await Promise.all(jobs);
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  private async upstream(): Promise<CheckOutcome> {
    const now = this.deps.clock.now();
    const recent = this.deps.upstreamRecentMs ?? 120_000;
    const last = this.deps.upstream.lastAnsweredAt();
    if (last !== null && now - last <= recent) return { ok: true, lastAnswerAt: new Date(last).toISOString() };
    if (this.ping && now >= this.ping.at && now - this.ping.at < PING_REUSE_MS) return this.ping.result;
    this.pinging ??= this.pingUpstream().finally(() => (this.pinging = null));
    return this.pinging;
  }

  private async pingUpstream(): Promise<CheckOutcome> {
    const url = new URL('-/ping', this.deps.upstream.url).href;
    const last = this.deps.upstream.lastAnsweredAt();
    const lastAnswerAt = last === null ? null : new Date(last).toISOString();
    let result: CheckOutcome;
    try {
      const res = await fetch(url, {
        headers: { 'user-agent': 'cordon-ready' },
        signal: AbortSignal.timeout(this.deps.pingTimeoutMs ?? 5_000),
        redirect: 'manual',
      });
      await res.body?.cancel().catch(() => undefined);
      // Any answer below 500 shows upstream is up; a registry without /-/ping answers 404.
      result =
        res.status < 500
          ? { ok: true, pinged: true, lastAnswerAt: new Date(this.deps.clock.now()).toISOString() }
          : { ok: false, pinged: true, lastAnswerAt, error: `upstream answered ${res.status} to ${url}` };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      result = {
        ok: false,
        pinged: true,
        lastAnswerAt,
        error:
          e.name === 'TimeoutError'
            ? `upstream did not answer ${url} in time`
            : `cannot reach upstream at ${url} (${e.cause?.code ?? e.message})`,
      };
    }
    this.ping = { at: this.deps.clock.now(), result };
    return result;
  }
}
