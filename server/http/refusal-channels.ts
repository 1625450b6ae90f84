/**
 * Sends a refusal on every channel a client prints from a failed response (see README, "Clients"):
 * - the JSON body `{ error, … }`: npm (`body.error`), Yarn 1 and Yarn 4 on JSON requests;
 * - the reason phrase of the status line: npm (`403 <reason> - GET …`), Yarn 4 (`Response Code: 403 (<reason>)`);
 * - the `npm-notice` header: npm (`npm notice <text>`).
 * pnpm 12, Bun and Yarn 1's tarball fetcher print only the status code and the URL. No client prints a
 * `WWW-Authenticate` header on a 403 (npm and Yarn 1 read it on a 401 only, to ask for a password), so
 * Cordon sends none: a 401 would send people to their login instead of to the reason.
 */
import type { Request, Response } from 'express';
import type { CordonConfig } from '../config';
import { refusal } from '../quarantine/refusal';
import { refusalLine } from '../quarantine/refusal-line';
import type { VersionDecision } from '../policy/version-state';
import { mirrorBaseUrl, reviewUrl } from './links';

/** Answers 403 for a hidden version: the JSON body as before, plus the one-line reason in the status line and `npm-notice`. */
export function sendRefusal(
  res: Response,
  req: Request,
  config: Pick<CordonConfig, 'publicUrl' | 'host' | 'port'>,
  name: string,
  version: string,
  decision: VersionDecision,
  now: number,
): void {
  const line = refusalLine(name, version, decision, now, reviewUrl(mirrorBaseUrl(config, req), name, version));
  res.statusMessage = line;
  res
    .status(403)
    .set({ 'Cache-Control': 'no-store', 'npm-notice': line })
    .json(refusal(name, version, decision, now));
}
