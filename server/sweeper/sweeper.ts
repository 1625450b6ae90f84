/**
 * The sweeper: on the CORDON_SWEEP schedule it writes down releases that time has decided and
 * re-reads upstream for every package that still has versions in quarantine, so first sight and the
 * clock do not wait for a consumer to ask.
 */
import { schedule, type ScheduledTask } from 'node-cron';
import type { CordonRuntime } from '../assemble';
import type { Logger } from '../logger';
import type { Packument } from '../policy/manifest';
import { fetchPackumentIfChanged } from '../upstream/registry-client';
import { UpstreamError } from '../upstream/errors';
import { isStoreUnavailable } from '../../storage';

/**
 * Reads one packument from upstream, conditionally on `etag` (that of the last one observed): `unchanged`
 * when upstream says it still is, `packument: null` when upstream does not have the package.
 */
export type FetchPackument = (name: string, etag?: string) => Promise<{ packument: Packument | null; etag?: string | null } | 'unchanged'>;

/** ETags of the packuments last observed, by package; bounded, oldest dropped first. */
export class EtagMemory {
  private readonly etags = new Map<string, string>();
  constructor(private readonly max = 10_000) {}
  get(name: string): string | undefined {
    return this.etags.get(name);
  }
  set(name: string, etag: string | null | undefined): void {
    this.etags.delete(name);
    if (!etag) return;
    this.etags.set(name, etag);
    if (this.etags.size > this.max) this.etags.delete(this.etags.keys().next().value as string);
  }
}

/** Packages with a version released this recently are re-read too, so changed bytes under it are caught. */
const RECENT_RELEASES_MS = 7 * 86_400_000;

export interface SweepResult {
  readonly released: number;
  readonly refreshed: number;
  readonly failed: number;
}

/** What the sweeper works with. */
export type SweeperRuntime = Pick<CordonRuntime, 'quarantine' | 'clock' | 'config'>;

/** One pass of the sweeper at the runtime's `now`. */
export async function sweepOnce(
  runtime: Pick<CordonRuntime, 'quarantine' | 'clock'>,
  fetchPackument: FetchPackument,
  logger: Logger,
  etags: EtagMemory = new EtagMemory(),
): Promise<SweepResult> {
  const { quarantine, clock } = runtime;
  let refreshed = 0;
  let failed = 0;
  for (const name of await quarantine.packagesToRefresh(clock.now(), RECENT_RELEASES_MS)) {
    try {
      // A version missing upstream is confirmed withdrawn only by repeated answers: ask afresh, not "unchanged?".
      const answer = await fetchPackument(name, (await quarantine.hasPendingWithdrawals(name)) ? undefined : etags.get(name));
      // Unchanged bytes hold no new version, integrity or withdrawal; a package upstream no longer has
      // at all withdraws every version it had. The ETag is kept only once what it names was observed.
      if (answer !== 'unchanged') {
        await quarantine.observe(answer.packument ?? { name, versions: {} }, clock.now(), { complete: true });
        etags.set(name, answer.etag);
      }
      await quarantine.markRefreshed(name, clock.now());
      refreshed++;
    } catch (err) {
      failed++;
      // A locked or read-only store fails every package alike, each after a busy timeout: stop the pass, try at the next.
      if (isStoreUnavailable(err)) {
        logger.warn(
          { package: name, err: (err as Error).message },
          'cordon: sweeper cannot write to the store; pass stopped, the next one tries again',
        );
        return { released: 0, refreshed, failed };
      }
      logger.warn({ package: name, err: (err as Error).message }, 'cordon: sweeper could not refresh a package from upstream');
    }
  }
  const released = await quarantine.releaseDue(clock.now());
  for (const t of released) logger.info({ package: t.package, version: t.version }, 'cordon: released after cooldown');
  return { released: released.length, refreshed, failed };
}

/** Reads full packuments (the `time` field is needed) from the configured upstream, conditionally on an ETag. */
export function upstreamFetcher(upstream: string): FetchPackument {
  return async (name, etag) => {
    try {
      const answer = await fetchPackumentIfChanged(upstream, name, etag);
      if (answer === null) return 'unchanged';
      const packument = answer.packument as unknown as Packument;
      if (packument.name !== name)
        throw new UpstreamError('UPSTREAM_BAD_RESPONSE', `upstream answered for ${JSON.stringify(packument.name)} when asked for ${name}`);
      return { packument, etag: answer.etag };
    } catch (err) {
      if (err instanceof UpstreamError && err.code === 'UPSTREAM_NOT_FOUND') return { packument: null };
      throw err;
    }
  };
}

export interface Sweeper {
  /** Runs a pass now (skipped if one is running) and resolves its result. */
  runNow(): Promise<SweepResult | null>;
  stop(): Promise<void>;
}

/** Schedules the sweeper on `runtime.config.sweep`. */
export function startSweeper(
  runtime: SweeperRuntime,
  logger: Logger,
  fetchPackument: FetchPackument = upstreamFetcher(runtime.config.upstream),
): Sweeper {
  let running: Promise<SweepResult> | null = null;
  const etags = new EtagMemory();
  const runNow = async (): Promise<SweepResult | null> => {
    // biome-ignore lint/nursery/noMisusedPromises: `running` is Promise | null: a sweep under way means this one is skipped.
    if (running) return null;
    running = sweepOnce(runtime, fetchPackument, logger, etags);
    try {
      return await running;
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'cordon: sweeper pass failed');
      return null;
    } finally {
      running = null;
    }
  };
  const task: ScheduledTask = schedule(runtime.config.sweep, () => runNow(), { name: 'cordon-sweeper', noOverlap: true, unref: true });
  return {
    runNow,
    async stop() {
      await task.stop();
      await task.destroy();
      // biome-ignore lint/nursery/noMisusedPromises: `running` is Promise | null: wait for a sweep only when one runs.
      if (running) await running.catch(() => undefined);
    },
  };
}
