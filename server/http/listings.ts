/**
 * Search results and the old `/-/all` listing are not filtered by Verdaccio: this rewrites their
 * JSON so that no entry names a hidden version. A package Cordon has never classified keeps its name
 * and description but loses every version field; a package with no visible version is left out.
 *
 * The rewrite is mounted on Verdaccio's own route patterns (SEARCH_API_ENDPOINTS), on an Express router
 * with Express's defaults like Verdaccio's: so it matches every spelling Verdaccio's routes match —
 * any case, a trailing slash — and nothing they don't. A second, hand-written matcher could disagree.
 *
 * Verdaccio ends the answer synchronously; the decisions come from the store asynchronously: so the
 * patched `end` buffers the body, decides every entry, and only then writes and ends the real answer.
 * On any error nothing of the listing is shown (503).
 */
import { Router, type RequestHandler, type Response } from 'express';
import { SEARCH_API_ENDPOINTS } from '@verdaccio/middleware';
import { rewriteDistTags } from '../policy/dist-tags';
import type { QuarantineService } from '../quarantine/quarantine-service';
import type { Clock } from '../clock';
import type { Logger } from '../logger';

/** The paths of every listing Verdaccio serves unfiltered: exactly the patterns its routes are registered with. */
export const LISTING_ROUTES: readonly string[] = [SEARCH_API_ENDPOINTS.search, SEARCH_API_ENDPOINTS.deprecated_search];
const VERSION_FIELDS = ['version', 'versions', 'dist-tags', 'time', 'date', 'dist'] as const;

type Entry = Record<string, unknown>;

/** Rewrites one listing entry (a search `package` object or an `/-/all` value); null drops it. */
type ListingQuarantine = Pick<QuarantineService, 'knows' | 'decisions'>;

async function sanitizeEntry(entry: Entry, quarantine: ListingQuarantine, now: number): Promise<Entry | null> {
  const name = entry.name;
  if (typeof name !== 'string') return null;
  const out: Entry = { ...entry };
  for (const key of VERSION_FIELDS) delete out[key];
  if (!(await quarantine.knows(name))) return out;
  const visible = [...(await quarantine.decisions(name, now))].filter(([, d]) => d.visible).map(([v]) => v);
  if (visible.length === 0) return null;
  const tags = rewriteDistTags(
    { latest: typeof entry.version === 'string' ? entry.version : ((entry['dist-tags'] as Entry | undefined)?.latest ?? '') },
    visible,
  );
  if (!tags.latest) return null;
  out.version = tags.latest;
  if (entry['dist-tags']) out['dist-tags'] = { latest: tags.latest };
  return out;
}

async function rewrite(body: unknown, quarantine: ListingQuarantine, now: number): Promise<unknown> {
  if (Array.isArray(body)) {
    const out = [];
    for (const e of body) {
      const clean = e && typeof e === 'object' ? await sanitizeEntry(e as Entry, quarantine, now) : null;
      if (clean !== null) out.push(clean);
    }
    return out;
  }
  if (!body || typeof body !== 'object') return body;
  const obj = body as Entry;
  if (Array.isArray(obj.objects)) {
    const objects = [];
    for (const item of obj.objects as Entry[]) {
      const pkg = item?.package;
      const clean = pkg && typeof pkg === 'object' ? await sanitizeEntry(pkg as Entry, quarantine, now) : null;
      if (clean) objects.push({ ...item, package: clean });
    }
    return { ...obj, objects, total: objects.length };
  }
  const out: Entry = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key.startsWith('_')) out[key] = value;
    else if (value && typeof value === 'object') {
      const clean = await sanitizeEntry(value as Entry, quarantine, now);
      if (clean) out[key] = clean;
    }
  }
  return out;
}

/** Buffers the response body of a listing request and sends the rewritten JSON instead. */
function interceptJson(res: Response, transform: (body: unknown) => Promise<unknown>, onError: (err: unknown) => void): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = ((chunk: unknown, encoding?: unknown) => {
    if (chunk)
      chunks.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
      );
    return true;
  }) as Response['write'];
  let ended = false;
  res.end = ((chunk?: unknown, encoding?: unknown, cb?: unknown) => {
    if (ended) return res;
    ended = true;
    if (chunk && typeof chunk !== 'function')
      chunks.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
      );
    const done = typeof cb === 'function' ? (cb as () => void) : typeof encoding === 'function' ? (encoding as () => void) : undefined;
    const raw = Buffer.concat(chunks).toString('utf8');
    const filtered = async (): Promise<string> =>
      res.statusCode >= 200 && res.statusCode < 300 && raw ? JSON.stringify(await transform(JSON.parse(raw))) : raw;
    // Nothing is written until every entry is decided: the client sees the filtered listing or an error, never the raw one.
    filtered()
      .catch((err: unknown) => {
        onError(err);
        res.statusCode = 503;
        return JSON.stringify({
          error: 'Cordon could not check these results against its quarantine, so none are shown. Try again.',
          code: 'UNAVAILABLE',
        });
      })
      .then((text) => {
        if (!res.headersSent) {
          res.removeHeader('ETag');
          res.setHeader('Content-Length', Buffer.byteLength(text));
        }
        write(text, 'utf8');
        end(done);
      })
      .catch((err: unknown) => {
        onError(err);
        res.destroy();
      });
    return res;
  }) as Response['end'];
}

/** A router that rewrites `/-/v1/search` and `/-/all[/since]` answers, in every spelling Verdaccio's routes accept. */
export function hideInListings(quarantine: ListingQuarantine, clock: Clock, logger: Logger): RequestHandler {
  const router = Router();
  router.get([...LISTING_ROUTES], (req, res, next) => {
    interceptJson(
      res,
      (body) => rewrite(body, quarantine, clock.now()),
      (err) => logger.error({ url: req.originalUrl, err: (err as Error)?.message }, 'cordon: could not filter a listing'),
    );
    next();
  });
  return router;
}
