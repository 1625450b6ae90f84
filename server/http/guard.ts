/** Refuses tarballs and single-version manifests of hidden versions with 403 and a reason, in every URL spelling. */
import type { Request, RequestHandler } from 'express';
import validateName from './package-name';
import type { CordonRuntime } from '../assemble';
import type { Logger } from '../logger';
import { refusal } from '../quarantine/refusal';
import { sendRefusal } from './refusal-channels';
import { noteRefusal } from './refusal-log';
import { MALFORMED, parsePackagePath, versionFromFilename } from './request-path';
import { HttpError, sendError } from './http-error';
import type { TarballServer } from '../blobs/tarball-server';
import type { VersionDecision, VersionRecord } from '../policy/version-state';

type Decision = VersionDecision & { record: VersionRecord };

/** Asks Verdaccio for a package it may never have seen, so the filter classifies its versions first. */
export type Classify = (name: string, req: Request) => Promise<void>;

/** Asks Verdaccio's auth whether the request may read the package (the cached-tarball path skips Verdaccio's routes). */
export type MayAccess = (name: string, req: Request) => Promise<boolean>;

/**
 * Refuses hidden versions; serves every visible tarball itself, from the verified store, so that
 * Verdaccio's unverified proxy path never sends a tarball byte. `mayAccess` is Verdaccio's access check
 * (absent: everyone may read, as in the configuration `npm start` runs).
 */
/** What the guard works with. */
export type GuardRuntime = Pick<CordonRuntime, 'quarantine' | 'clock' | 'config' | 'ops'>;

export function tarballGuard(
  runtime: GuardRuntime,
  classify: Classify,
  logger: Logger,
  tarballs: TarballServer,
  mayAccess?: MayAccess,
): RequestHandler {
  const { quarantine, clock } = runtime;
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const parsed = parsePackagePath(req.originalUrl ?? req.url);
    if (parsed === MALFORMED)
      return sendError(
        res,
        new HttpError(
          'BAD_URL',
          `Cannot read the URL ${JSON.stringify(req.originalUrl)}: its percent-encoding is malformed. Fix the URL (or the lockfile it came from).`,
        ),
      );
    if (parsed === null || parsed.kind === 'packument' || !validateName(parsed.name)) return next();
    if (parsed.kind === 'version' && !/^v?\d/.test(parsed.spec)) return next(); // a dist-tag: Verdaccio resolves it on the filtered packument

    const run = async (): Promise<void> => {
      const { name } = parsed;
      const spelled = parsed.kind === 'tarball' ? versionFromFilename(name, parsed.filename) : parsed.spec.replace(/^v/, '');
      // Every version the URL can stand for; a file name two versions share is served only if all are visible.
      const lookup = async (now: number): Promise<Decision[]> =>
        parsed.kind === 'tarball'
          ? quarantine.tarballDecisions(name, parsed.filename, spelled, now)
          : [await quarantine.decision(name, spelled!, now)].filter((d): d is Decision => d !== undefined);
      let now = clock.now();
      let decisions = await lookup(now);
      if (decisions.length === 0 && !(await quarantine.knows(name))) {
        await classify(name, req);
        now = clock.now();
        decisions = await lookup(now);
      }
      if (decisions.length === 0) {
        if (parsed.kind === 'version') return next(); // Verdaccio answers 404 from the filtered packument
        const what = spelled
          ? `${name}@${spelled} is not listed upstream`
          : `Cordon knows no version of ${name} whose tarball is ${parsed.filename}`;
        return sendError(
          res,
          new HttpError('NOT_FOUND', `${what}. Check the name and version, or run npm install without the lockfile entry.`),
        );
      }
      const hidden = decisions.find((d) => !d.visible);
      if (hidden) {
        noteRefusal(runtime, logger, req, refusal(name, hidden.record.version, hidden, now));
        sendRefusal(res, req, runtime.config, name, hidden.record.version, hidden, now);
        return undefined;
      }
      if (parsed.kind !== 'tarball') return next();
      const served = decisions.find((d) => d.record.tarball === parsed.filename) ?? decisions[0]!;
      if (mayAccess && !(await mayAccess(name, req))) {
        return sendError(
          res,
          new HttpError(
            'FORBIDDEN',
            `You may not read ${name} on this registry. Log in (npm login) with an account that has access, or ask the mirror's operator.`,
          ),
        );
      }
      return tarballs.serve(served.record, req, res);
    };
    run().catch((err: unknown) => {
      // Fail closed: if Cordon cannot tell, the version is not served.
      logger.error({ url: req.originalUrl, err: (err as Error)?.message }, 'cordon: cannot classify a request; refusing it');
      sendError(
        res,
        new HttpError(
          'UNAVAILABLE',
          `Cordon cannot check ${parsed.name} right now (${(err as Error)?.message ?? 'unknown error'}), so it is not served. Try again in a minute; if it persists, the mirror's upstream or store is down.`,
        ),
      );
    });
  };
}
