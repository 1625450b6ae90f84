/**
 * Review diffs, built off the main thread: each (version, integrity, previous) is built once and cached,
 * concurrent requests for the same one share the build, and more distinct builds than `concurrency` at
 * once are refused with DIFF_BUSY (HTTP 429, Retry-After) instead of queueing work on the mirror.
 */
import type { CordonConfig } from '../config';
import { CordonError } from '../errors';
import { DiffPool } from './diff-pool';
import type { ReviewDiff } from './diff-types';
import { DiffError } from './errors';
import { metadataDiff } from './metadata-diff';
import { upstreamPackuments, type LoadPackument, type LoadVersionBytes } from './version-bytes';

/** One version and the version it is compared with, each named by the integrity the mirror recorded. */
export interface DiffRequest {
  readonly name: string;
  readonly version: string;
  readonly integrity: string;
  readonly previous: { readonly version: string; readonly integrity: string } | null;
}

export interface DiffService {
  /** The review diff; throws DiffError (DIFF_BUSY when too many are being built). */
  build(request: DiffRequest): Promise<ReviewDiff>;
  /** Builds running now. */
  readonly running: number;
  close(): Promise<void>;
}

export interface DiffServiceOptions {
  /** The byte source: verified bytes of the version the mirror pinned (storedVersionBytes in server/upstream/version-bytes.ts). */
  readonly loadVersionBytes: LoadVersionBytes;
  readonly loadPackument?: LoadPackument;
  /** Distinct builds at once (also the number of threads). */
  readonly concurrency?: number;
  /** Reviews kept. */
  readonly cacheEntries?: number;
  readonly timeoutMs?: number;
}

const keyOf = (r: DiffRequest): string =>
  JSON.stringify([r.name, r.version, r.integrity, r.previous?.version ?? null, r.previous?.integrity ?? null]);

/** The diff service of a mirror. */
export function createDiffService(config: Pick<CordonConfig, 'upstream'>, options: DiffServiceOptions): DiffService {
  const loadPackument = options.loadPackument ?? upstreamPackuments(config.upstream);
  const loadVersionBytes = options.loadVersionBytes;
  const concurrency = options.concurrency ?? 2;
  const cacheEntries = options.cacheEntries ?? 32;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pool = new DiffPool();
  const cache = new Map<string, ReviewDiff>();
  const inflight = new Map<string, Promise<ReviewDiff>>();

  const source = async <T>(what: string, load: () => Promise<T>): Promise<T> => {
    try {
      return await load();
    } catch (err) {
      throw new DiffError('DIFF_SOURCE_FAILED', `cannot read ${what}: ${(err as Error).message}`, { cause: err, retryAfterSeconds: 30 });
    }
  };

  async function compute(r: DiffRequest): Promise<ReviewDiff> {
    const started = performance.now();
    const id = `${r.name}@${r.version}`;
    const [current, previous, packument] = await Promise.all([
      source(id, () => loadVersionBytes(r.name, r.version, r.integrity)),
      r.previous
        ? source(`${r.name}@${r.previous.version}`, () => loadVersionBytes(r.name, r.previous!.version, r.previous!.integrity))
        : null,
      loadPackument(r.name).catch(() => null),
    ]);
    const files = await pool.run(
      {
        current: { id, integrity: r.integrity, bytes: current },
        previous:
          r.previous && previous ? { id: `${r.name}@${r.previous.version}`, integrity: r.previous.integrity, bytes: previous } : null,
      },
      timeoutMs,
    );
    const next = packument?.versions[r.version];
    const before = r.previous ? (packument?.versions[r.previous.version] ?? null) : null;
    return {
      package: r.name,
      version: r.version,
      integrity: r.integrity,
      previousVersion: r.previous?.version ?? null,
      metadata: next ? metadataDiff(before, next) : null,
      ...files,
      builtMs: Math.round(performance.now() - started),
    };
  }

  return {
    get running() {
      return inflight.size;
    },
    build(r) {
      const key = keyOf(r);
      const hit = cache.get(key);
      if (hit) {
        cache.delete(key);
        cache.set(key, hit);
        return Promise.resolve(hit);
      }
      const pending = inflight.get(key);
      // biome-ignore lint/nursery/noMisusedPromises: `pending` is a Map lookup (Promise | undefined): a diff being built is shared, not awaited here.
      if (pending) return pending;
      if (inflight.size >= concurrency) {
        return Promise.reject(
          new DiffError(
            'DIFF_BUSY',
            `${inflight.size} file diffs are being built; this one can be built in a few seconds. The findings above stand without it.`,
            { retryAfterSeconds: 5 },
          ),
        );
      }
      const promise = compute(r).then(
        (diff) => {
          inflight.delete(key);
          cache.set(key, diff);
          if (cache.size > cacheEntries) cache.delete(cache.keys().next().value!);
          return diff;
        },
        (err: unknown) => {
          inflight.delete(key);
          throw err instanceof CordonError ? err : new DiffError('DIFF_UNREADABLE', (err as Error).message, { cause: err });
        },
      );
      inflight.set(key, promise);
      return promise;
    },
    close: () => pool.close(),
  };
}
