/**
 * `GET /-/cordon/api/v1/policy` (the mirror's release policy as client settings need it) and
 * `GET /-/cordon/api/v1/policy/export?format=npm|pnpm|yarn|bun|renovate|dependabot[&bothGates=1]`
 * (the same settings `cordon policy export` writes, for automation).
 */
import { Router, type Request } from 'express';
import type { CordonRuntime } from '../assemble';
import { handle } from './async-route';
import { clientPolicy, type ClientPolicy } from '../quarantine/client-policy';
import { EXPORT_FORMATS, isExportFormat, renderExport } from '../policy-export';
import { HttpError } from './http-error';
import { mirrorBaseUrl } from './links';

type PolicyRuntime = Pick<CordonRuntime, 'config' | 'quarantine' | 'store' | 'clock'>;

async function policyFor(runtime: PolicyRuntime, req: Request): Promise<ClientPolicy> {
  const { config, quarantine, store, clock } = runtime;
  const approved = await store.versions.versionsInState('approved');
  return clientPolicy(
    {
      registry: mirrorBaseUrl(config, req),
      cooldownMs: config.cooldownMs,
      rules: config.rules,
      approved,
      ruleFor: (name) => quarantine.ruleFor(name),
    },
    clock.now(),
  );
}

/** JSON form of the policy: times as ISO strings. */
function policyJson(p: ClientPolicy): Record<string, unknown> {
  return {
    ...p,
    generatedAt: new Date(p.generatedAt).toISOString(),
    fastTracked: p.fastTracked.map((f) => ({ ...f, expiresAt: new Date(f.expiresAt).toISOString() })),
  };
}

/** The router for `/-/cordon/api/v1/policy`. */
export function policyApi(runtime: PolicyRuntime): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.get(
    '/',
    handle(async (req, res) => {
      res.json(policyJson(await policyFor(runtime, req)));
    }),
  );
  router.get(
    '/export',
    handle(async (req, res) => {
      const format = req.query.format;
      if (!isExportFormat(format))
        throw new HttpError('BAD_REQUEST', `format must be one of ${EXPORT_FORMATS.join(', ')} (got ${JSON.stringify(format ?? null)}).`);
      const bothGates = req.query.bothGates === '1' || req.query.bothGates === 'true';
      const policy = await policyFor(runtime, req);
      res.json({ ...renderExport(format, policy, { bothGates }), bothGates, policy: policyJson(policy) });
    }),
  );
  router.use((req) => {
    throw new HttpError(
      'NOT_FOUND',
      `No policy API at ${req.method} ${req.originalUrl}. See /-/cordon/api/v1/policy and /-/cordon/api/v1/policy/export?format=….`,
    );
  });
  return router;
}
