/**
 * Answers repeated packument GETs from memory: the exact bytes Verdaccio last sent (already filtered
 * by Cordon and with its tarball URLs), plus a gzip of them made once. Verdaccio otherwise re-reads,
 * re-parses, re-filters, re-serializes and re-compresses the whole packument on every request.
 *
 * An entry is served only while nothing it depends on can have changed:
 * - the package's versions: any write to them (this process or another mirror) changes the store's
 *   `changes.generation(name)`, read from memory; while the change feed is not live (changes made
 *   elsewhere may be missed), nothing is served from or put in the cache;
 * - time: it expires when the first hidden version's cooldown ends (`nextChange`), and is not used if
 *   the clock reads earlier than when it was made;
 * - upstream: it lives at most `maxAgeMs` (monotonic time), so Verdaccio still refreshes its uplink cache.
 * Anything unexpected (an error, an answer that is not a plain 200) is not cached: the request takes
 * Verdaccio's path, which has its own fail-closed filter.
 */
import type { Request, RequestHandler, Response } from 'express';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Decisions } from '../quarantine/quarantine-service';
import type { ChangeFeed } from '../../storage/ports';
import { MALFORMED, parsePackagePath } from './request-path';
import { HttpError, sendError } from './http-error';

export interface PackumentCacheOptions {
  /** Generations that change whenever anything about a package's versions changes, on any connection or mirror. */
  readonly changes: Pick<ChangeFeed, 'generation' | 'live'>;
  /** The earliest instant after `now` at which a version of `name` changes visibility by time alone; null when none will. */
  nextChange(name: string, now: number): Promise<number | null>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Longest life of an entry in ms; keep it below Verdaccio's uplink `maxage` (2m). Default 30s. */
  readonly maxAgeMs?: number;
  /** Memory bound for all entries (bytes of identity + gzip bodies). Default 256 MiB; one entry may take half. */
  readonly maxBytes?: number;
  /** Monotonic milliseconds, for `maxAgeMs`; injectable for tests. */
  readonly monotonicNow?: () => number;
}

interface Entry {
  readonly generation: number | string;
  /** Clock time the entry was computed for; visibility is only known to hold from here to `validUntil`. */
  readonly madeAt: number;
  readonly validUntil: number;
  readonly expiresAt: number;
  readonly contentType: string;
  readonly etag: string | undefined;
  readonly body: Buffer;
  gzip: Buffer | null;
  /** The gzip being made (off the event loop), shared by the requests that wait for it. */
  gzipping: Promise<Buffer> | null;
}

const DEFAULT_MAX_AGE_MS = 30_000;
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const gzipAsync = promisify(gzip);

/** When the visibility in `decisions` next changes by time alone: the earliest future cooldown end of a hidden version. */
export function nextVisibilityChange(decisions: Decisions, now: number): number | null {
  let next: number | null = null;
  for (const decision of decisions.values()) {
    if (decision.visible || decision.releaseAt === null || decision.releaseAt <= now) continue;
    if (next === null || decision.releaseAt < next) next = decision.releaseAt;
  }
  return next;
}

/** True when the client takes gzip (`Accept-Encoding` lists it without `q=0`). */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    return !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

/** The key of an answer: everything in the request Verdaccio's packument answer depends on. */
function keyOf(req: Request, url: string): string {
  const h = req.headers;
  return [url, h.accept ?? '', req.protocol, h.host ?? '', h['x-forwarded-proto'] ?? '', h['x-forwarded-host'] ?? ''].join('\0');
}

/** Middleware for `GET /<package>`; place it after the read-only and listing middlewares, before Verdaccio's routes. */
export function packumentCache(options: PackumentCacheOptions): RequestHandler {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const monotonic = options.monotonicNow ?? (() => performance.now());
  const entries = new Map<string, Entry>();
  let bytes = 0;
  // Requests that are filling an entry now (through Verdaccio): others for the same answer wait for it, or take the stale one.
  const filling = new Map<string, Promise<Entry | null>>();

  const drop = (key: string): void => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.body.length + (entry.gzip?.length ?? 0);
  };
  const account = (key: string, entry: Entry, added: number): void => {
    bytes += added;
    // Oldest first: Map keeps insertion order and a hit re-inserts.
    for (const oldest of entries.keys()) {
      if (bytes <= maxBytes || oldest === key) break;
      drop(oldest);
    }
    if (bytes > maxBytes && entries.get(key) === entry) drop(key);
  };

  return (req, res, next) => {
    if (req.method !== 'GET') return next();
    // Answers for a logged-in user may differ (package access rules); never share them.
    if (req.headers.authorization || req.headers.cookie) return next();
    const url = req.originalUrl ?? req.url;
    if (url.includes('?')) return next();
    const parsed = parsePackagePath(url);
    if (parsed === null || parsed === MALFORMED || parsed.kind !== 'packument') return next();

    let generation: number | string;
    let now: number;
    try {
      // Changes made elsewhere may be missed right now: take Verdaccio's path, which asks the store.
      if (!options.changes.live) return next();
      generation = options.changes.generation(parsed.name);
      now = options.clock.now();
    } catch (err) {
      options.logger.warn({ err: (err as Error)?.message }, 'cordon: packument cache cannot read the store generation; not caching');
      return next();
    }
    const key = keyOf(req, url);
    const entry = entries.get(key);
    // Still right: nothing about the package changed and no cooldown ended since it was made.
    const right = entry !== undefined && entry.generation === generation && now >= entry.madeAt && now < entry.validUntil;
    const fresh = right && monotonic() < entry!.expiresAt;
    const refilling = filling.get(key);
    // biome-ignore lint/nursery/noMisusedPromises: `refilling` is a Map lookup (Promise | undefined): this tests whether a refill runs, not its result.
    if (fresh || (right && refilling)) {
      // A right answer past its age is served while one request refreshes it: nobody waits behind a large re-filter.
      entries.delete(key);
      entries.set(key, entry!);
      return serve(req, res, entry!, (e, added) => entries.get(key) === e && account(key, e, added));
    }
    // biome-ignore lint/nursery/noMisusedPromises: `refilling` is a Map lookup (Promise | undefined): this tests whether a refill runs, not its result.
    if (refilling) {
      // The same answer is being made: wait for it instead of making it again.
      return void refilling.then(
        (made) =>
          made && !res.headersSent ? serve(req, res, made, (e, added) => entries.get(key) === e && account(key, e, added)) : next(),
        () => next(),
      );
    }
    if (entry && !right) drop(key);
    let settle!: (made: Entry | null) => void;
    const done = new Promise<Entry | null>((resolve) => (settle = resolve));
    filling.set(key, done);
    const finish = (made: Entry | null): void => {
      if (filling.get(key) === done) filling.delete(key);
      settle(made);
    };
    res.once('close', () => finish(null));
    // A right answer it had is better than Verdaccio's error (a full disk, a store it cannot write): serve that.
    // Without one, Verdaccio's bare "internal server error" becomes an answer that says what to do.
    const fallback = right
      ? (): void => serve(req, res, entry!, (e, added) => entries.get(key) === e && account(key, e, added))
      : (): void =>
          sendError(
            res,
            Object.assign(
              new HttpError(
                'UNAVAILABLE',
                `Cordon cannot answer for ${parsed.name} right now: the mirror could not read or store its metadata (a full disk, a store it cannot write, or an upstream fault). Nothing was changed; try again in a minute, and tell the mirror's operator if it persists.`,
              ),
              { retryAfterSeconds: 30 },
            ),
          );
    capture(res, fallback, async (status, body) => {
      if (status !== 200 || res.getHeader('set-cookie') !== undefined) return finish(null);
      const contentType = String(res.getHeader('content-type') ?? '');
      if (!/json/i.test(contentType) || body.length === 0 || body.length > maxBytes / 2) return finish(null);
      const etag = res.getHeader('etag');
      let validUntil: number;
      try {
        validUntil = (await options.nextChange(parsed.name, now)) ?? Number.POSITIVE_INFINITY;
      } catch (err) {
        options.logger.warn(
          { package: parsed.name, err: (err as Error)?.message },
          'cordon: packument cache cannot read decisions; not caching',
        );
        return finish(null);
      }
      // The feed went down meanwhile: what was made may already be stale elsewhere.
      if (!options.changes.live) return finish(null);
      const made: Entry = {
        generation,
        madeAt: now,
        validUntil,
        expiresAt: monotonic() + maxAgeMs,
        contentType,
        etag: etag === undefined ? undefined : String(etag),
        body,
        gzip: null,
        gzipping: null,
      };
      drop(key);
      entries.set(key, made);
      account(key, made, body.length);
      finish(made);
    });
    next();
  };
}

/** Sends a cached answer, honouring If-None-Match and gzip (made once, off the event loop). `grew` reports bytes added by a first gzip. */
function serve(req: Request, res: Response, entry: Entry, grew: (entry: Entry, added: number) => void): void {
  res.setHeader('Content-Type', entry.contentType);
  res.setHeader('Vary', 'Accept-Encoding');
  if (entry.etag) {
    res.setHeader('ETag', entry.etag);
    if (req.headers['if-none-match'] === entry.etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
  }
  const send = (body: Buffer, encoding: string | null): void => {
    if (res.headersSent) return;
    // Set before writing, so Verdaccio's compression middleware leaves the bytes alone.
    if (encoding) res.setHeader('Content-Encoding', encoding);
    res.setHeader('Content-Length', body.length);
    res.statusCode = 200;
    res.end(body);
  };
  if (!acceptsGzip(req.headers['accept-encoding'])) {
    send(entry.body, null);
    return;
  }
  if (entry.gzip) {
    send(entry.gzip, 'gzip');
    return;
  }
  entry.gzipping ??= gzipAsync(entry.body).then((gz) => {
    entry.gzip = gz;
    entry.gzipping = null;
    grew(entry, gz.length);
    return gz;
  });
  entry.gzipping.then(
    (gz) => send(gz, 'gzip'),
    () => send(entry.body, null),
  );
}

/**
 * Passes the response through unchanged and hands its status and uncompressed body to `done` once it
 * ends; with `fallback`, a 5xx answer is dropped unsent and `fallback` answers instead (stale-if-error).
 */
function capture(res: Response, fallback: (() => void) | null, done: (status: number, body: Buffer) => Promise<void>): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  let replaced = false;
  const replace = (): boolean => {
    if (replaced) return true;
    if (!fallback || res.statusCode < 500 || res.headersSent) return false;
    replaced = true;
    res.write = write;
    res.end = end;
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    fallback();
    return true;
  };
  const keep = (chunk: unknown, encoding: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(
      Buffer.isBuffer(chunk)
        ? Buffer.from(chunk)
        : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
    );
  };
  res.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
    if (replace()) return true;
    keep(chunk, encoding);
    return (write as (...args: unknown[]) => boolean)(chunk, encoding, cb);
  }) as Response['write'];
  res.end = ((chunk?: unknown, encoding?: unknown, cb?: unknown) => {
    if (replace()) return res;
    keep(chunk, encoding);
    const result = (end as (...args: unknown[]) => Response)(chunk, encoding, cb);
    // Caching is an optimisation; the answer has been sent either way.
    done(res.statusCode, Buffer.concat(chunks)).catch(() => undefined);
    return result;
  }) as Response['end'];
}
