/**
 * Adds an `npm-notice` header to every packument answer of a package with hidden versions, naming them
 * and their state: npm prints it (`npm notice …`) above "No matching version found", so asking for a
 * quarantined version by name says why. Placed before the packument cache, it covers both the answers
 * that cache sends from memory and the ones Verdaccio builds. The header is added when the answer ends,
 * after Verdaccio's filter has classified a package seen for the first time: the end waits for the
 * (asynchronous) decisions, then goes out. Such an answer is `no-store`: npm prints notices only from
 * answers it did not put in its cache.
 */
import type { RequestHandler, Response } from 'express';
import type { Clock } from '../clock';
import type { CordonConfig } from '../config';
import type { Logger } from '../logger';
import type { QuarantineService } from '../quarantine/quarantine-service';
import type { ChangeFeed } from '../../storage/ports';
import { hiddenVersionsNotice } from '../quarantine/refusal-line';
import { mirrorBaseUrl, packageUrl } from './links';
import { nextVisibilityChange } from './packument-cache';
import { MALFORMED, parsePackagePath } from './request-path';

export interface PackumentNoticeDeps {
  readonly quarantine: Pick<QuarantineService, 'decisions'>;
  readonly clock: Clock;
  readonly config: Pick<CordonConfig, 'publicUrl' | 'host' | 'port'>;
  /** Changes whenever the package's versions change (see the packument cache): the notice is rebuilt only then, or when time changes what is hidden. */
  readonly changes: Pick<ChangeFeed, 'generation' | 'live'>;
}

interface Memo {
  readonly generation: number;
  readonly base: string;
  readonly validFrom: number;
  readonly validUntil: number;
  readonly notice: string | null;
}

const MEMO_ENTRIES = 10_000;

/** Middleware for `GET /<package>`; never changes the status or the body, and never fails the answer. */
export function packumentNotice(deps: PackumentNoticeDeps, logger: Logger): RequestHandler {
  // Reading every version of a large package on each request would cost more than serving it from the
  // packument cache: the notice is kept per package until its versions or their visibility change.
  const memo = new Map<string, Memo>();
  const noticeFor = async (name: string, base: string): Promise<string | null> => {
    const now = deps.clock.now();
    const generation = deps.changes.generation(name);
    const live = deps.changes.live;
    const hit = memo.get(name);
    if (live && hit && hit.generation === generation && hit.base === base && now >= hit.validFrom && now < hit.validUntil)
      return hit.notice;
    const decisions = await deps.quarantine.decisions(name, now);
    const hidden = [...decisions.values()].filter((d) => !d.visible).map((d) => ({ version: d.record.version, decision: d }));
    const notice = hiddenVersionsNotice(name, hidden, now, packageUrl(base, name));
    memo.delete(name);
    if (!live) return notice;
    memo.set(name, {
      generation,
      base,
      validFrom: now,
      validUntil: nextVisibilityChange(decisions, now) ?? Number.POSITIVE_INFINITY,
      notice,
    });
    if (memo.size > MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
    return notice;
  };
  return (req, res, next) => {
    if (req.method !== 'GET') return next();
    const parsed = parsePackagePath(req.originalUrl ?? req.url);
    if (parsed === null || parsed === MALFORMED || parsed.kind !== 'packument') return next();
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let ending = false;
    res.end = ((...args: unknown[]) => {
      // Only a 200 whose headers are still unsent can carry the notice (a packument goes out in one end).
      if (ending || res.statusCode !== 200 || res.headersSent) return end(...args);
      ending = true;
      noticeFor(parsed.name, mirrorBaseUrl(deps.config, req))
        .then((notice) => {
          if (!notice || res.headersSent) return;
          res.setHeader('npm-notice', notice);
          // npm prints a notice only from an answer it did not store (npm-registry-fetch skips
          // `x-local-cache` answers), so this packument must not be kept in the client's cache.
          res.setHeader('Cache-Control', 'no-store');
        })
        // A notice is a courtesy: the packument (already filtered) goes out without it.
        .catch((err: unknown) =>
          logger.warn({ package: parsed.name, err: (err as Error)?.message }, 'cordon: cannot build the hidden-versions notice'),
        )
        .finally(() => end(...args));
      return res;
    }) as Response['end'];
    next();
  };
}
