/**
 * Passkeys over HTTP, under `/-/cordon/api/v1/passkeys`: the list (open), the request an approver signs
 * with SSH, and the only writes — an SSH-signed enrollment or removal, and the registration that uses a
 * one-time enrollment link. The link's token travels in the request body, never in a URL.
 */
import express, { Router, type Request } from 'express';
import type { CordonRuntime } from '../assemble';
import { handle } from './async-route';
import type { Logger } from '../logger';
import { ApprovalError } from '../approvals/errors';
import { PASSKEY_ACTIONS, type PasskeyAction } from '../passkeys/passkey-request';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function str(req: Request, key: string): string {
  const value = req.query[key] ?? (req.body as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== 'string' || value === '')
    throw new ApprovalError('BAD_REQUEST', `The request needs "${key}" as one string. "cordon passkey" fills it in.`);
  return value;
}

/** The router for `/-/cordon/api/v1/passkeys`. */
export function passkeysApi(runtime: Pick<CordonRuntime, 'passkeys'>, logger: Logger): Router {
  const { passkeys } = runtime;
  const router = Router();
  const json = express.json({ limit: '64kb' });
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get(
    '/',
    handle(async (_req, res) => {
      res.json({
        relyingParty: passkeys.relyingParty,
        passkeys: (await passkeys.list()).map((p) => ({
          ...p,
          createdAt: iso(p.createdAt),
          lastUsedAt: iso(p.lastUsedAt),
          removedAt: iso(p.removedAt),
        })),
      });
    }),
  );

  router.get(
    '/request',
    handle(async (req, res) => {
      const action = str(req, 'action');
      if (!(PASSKEY_ACTIONS as readonly string[]).includes(action))
        throw new ApprovalError('BAD_REQUEST', 'action must be "enroll" or "remove".');
      res.json(await passkeys.requestFor(action as PasskeyAction, str(req, 'key'), str(req, 'subject')));
    }),
  );

  router.post(
    '/enrollments',
    json,
    handle(async (req, res) => {
      const done = await passkeys.enroll(str(req, 'request'), str(req, 'signature'));
      logger.info({ approver: done.approver }, 'cordon: passkey enrollment link issued');
      res.status(201).json({ approver: done.approver, expiresAt: iso(done.expiresAt) });
    }),
  );

  router.post('/registration-options', json, (req, res, next) => {
    passkeys
      .registrationOptions((req.body as Record<string, unknown> | undefined)?.token)
      .then((r) => res.json(r))
      .catch(next);
  });

  router.post('/registrations', json, (req, res, next) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    passkeys
      .register(body.token, body.response)
      .then((p) => {
        logger.info({ approver: p.approver, credentialId: p.credentialId }, 'cordon: passkey enrolled');
        res.status(201).json({ approver: p.approver, credentialId: p.credentialId, createdAt: iso(p.createdAt) });
      })
      .catch(next);
  });

  router.post(
    '/removals',
    json,
    handle(async (req, res) => {
      const p = await passkeys.remove(str(req, 'request'), str(req, 'signature'));
      logger.info({ approver: p.approver, credentialId: p.credentialId }, 'cordon: passkey removed');
      res.json({ approver: p.approver, credentialId: p.credentialId, removedAt: iso(p.removedAt) });
    }),
  );

  router.use((req) => {
    throw new ApprovalError('NO_SUCH_ROUTE', `No passkeys API at ${req.method} ${req.originalUrl}. See README "Passkeys".`);
  });
  return router;
}
