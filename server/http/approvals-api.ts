/**
 * Signed decisions over HTTP, under `/-/cordon/api/v1/approvals`: the statement to sign, posting a
 * signed decision, a version's decisions and findings (with the file diff), the waiting queue and the
 * audit log. Reads are open; the only write is a decision, and it needs a valid signature.
 */
import express, { Router, type Request } from 'express';
import type { CordonRuntime } from '../assemble';
import type { ApprovalStatus, DecisionOutcome } from '../approvals/approval-service';
import type { StoredDecision } from '../../storage';
import { handle } from './async-route';
import type { Logger } from '../logger';
import { ApprovalError } from '../approvals/errors';
import { DECISIONS, type Decision } from '../approvals/statement';
import { NAMESPACE } from '../approvals/sshsig';
import { STATEMENT_TTL_MS } from '../approvals/verify-decision';
import { CordonError } from '../errors';
import { unifiedText } from '../review/file-diff';
import type { VersionDiff } from '../review/diff-types';
import { mirrorBaseUrl } from './links';
import { approverNamed, enrichedQueuePage } from './review-data';
import validateName from './package-name';
import { countDecision } from '../ops/decision-metrics';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function param(req: Request, key: string, required = true): string {
  const value = req.query[key] ?? (req.body as Record<string, unknown> | undefined)?.[key];
  if (value === undefined && !required) return '';
  if (typeof value !== 'string' || (required && value === ''))
    throw new ApprovalError(
      'BAD_REQUEST',
      `The request needs "${key}" as one string. See "cordon --help" for the client that fills it in.`,
    );
  return value;
}

function target(req: Request): { name: string; version: string } {
  const name = param(req, 'package');
  if (!validateName(name)) throw new ApprovalError('BAD_REQUEST', `${JSON.stringify(name)} is not a valid npm package name.`);
  const version = param(req, 'version');
  if (version.length > 256) throw new ApprovalError('BAD_REQUEST', 'The version is longer than 256 characters.');
  return { name, version };
}

/** The router for `/-/cordon/api/v1/approvals`. */
export function approvalsApi(
  runtime: Pick<CordonRuntime, 'approvals' | 'clock' | 'config' | 'passkeys' | 'store' | 'ops' | 'diffs'>,
  logger: Logger,
): Router {
  const { approvals, clock, config } = runtime;
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/mirror', (req, res) => {
    res.json({
      mirrorId: approvals.mirrorId,
      namespace: NAMESPACE,
      approvers: config.approvers.map((a) => ({ name: a.name, key: a.line })),
      baseUrl: mirrorBaseUrl(config, req),
      passkeys: runtime.passkeys.relyingParty,
    });
  });

  router.get(
    '/statement',
    handle(async (req, res) => {
      const { name, version } = target(req);
      const decision = param(req, 'decision');
      if (!(DECISIONS as readonly string[]).includes(decision))
        throw new ApprovalError('BAD_REQUEST', 'decision must be "approve" or "reject".');
      const reason = param(req, 'reason', false);
      // A passkey names its approver; an SSH key names itself.
      if (req.query.approver !== undefined) {
        const approver = approverNamed(config, param(req, 'approver'));
        const { statement, text } = await approvals.statementAs(approver, name, version, decision as Decision, reason);
        const webauthn = await runtime.passkeys.assertionOptions(approver, text);
        return void res.json({
          statement,
          text,
          method: 'webauthn',
          webauthn,
          expiresAt: new Date(Date.parse(statement.issuedAt) + STATEMENT_TTL_MS).toISOString(),
        });
      }
      const { statement, text } = await approvals.statementFor(name, version, decision as Decision, reason, param(req, 'key'));
      res.json({
        statement,
        text,
        namespace: NAMESPACE,
        expiresAt: new Date(Date.parse(statement.issuedAt) + STATEMENT_TTL_MS).toISOString(),
      });
    }),
  );

  router.post(
    '/decisions',
    express.json({ limit: '64kb' }),
    handle(async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const method = body.method === 'webauthn' ? 'passkey' : 'ssh';
      const counted = (err: unknown): void => countDecision(runtime.ops.metrics, method, body.statement, err);
      const accepted = (name: string, version: string, outcome: DecisionOutcome) => {
        counted(null);
        logger.info(
          {
            package: name,
            version,
            approver: outcome.decision.approver,
            decision: outcome.decision.decision,
            method: outcome.decision.method,
            state: outcome.status.state,
          },
          'cordon: signed decision accepted',
        );
        res
          .status(201)
          .json({ accepted: publicDecision(outcome.decision), transition: outcome.transition, status: publicStatus(outcome.status) });
      };
      try {
        const { name, version } = target(req);
        const statement = param(req, 'statement');
        if (body.method === 'webauthn') {
          // A passkey assertion verifies asynchronously, before the decision's transaction.
          const signer = await runtime.passkeys.authenticate(statement, body.assertion);
          return accepted(name, version, await approvals.submitSigned(name, version, statement, signer));
        }
        if (body.method !== undefined && body.method !== 'ssh')
          throw new ApprovalError('BAD_REQUEST', 'method must be "ssh" (with signature) or "webauthn" (with assertion).');
        accepted(name, version, await approvals.submit(name, version, statement, param(req, 'signature')));
      } catch (err) {
        counted(err);
        throw err;
      }
    }),
  );

  router.get(
    '/decisions',
    handle(async (req, res) => {
      const { name, version } = target(req);
      const status = await approvals.status(name, version);
      if (!status) throw new ApprovalError('UNKNOWN_VERSION', `Cordon has never seen ${name}@${version}.`);
      res.json({ status: publicStatus(status), decisions: (await approvals.decisionsOf(name, version)).map(publicDecision) });
    }),
  );

  // Paged: a long queue costs one page of approvals and findings, not all of them (`next` is the cursor for `after`).
  router.get(
    '/queue',
    handle(async (req, res) => {
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      const pkg = typeof req.query.package === 'string' ? req.query.package : '';
      const after = typeof req.query.after === 'string' && req.query.after !== '' ? req.query.after : null;
      const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new ApprovalError('BAD_REQUEST', 'limit must be a whole number from 1 to 500.');
      const page = await enrichedQueuePage(runtime, { state, package: pkg }, limit, after);
      res.json({
        now: iso(clock.now()),
        versions: page.entries.map((v) => ({ ...publicStatus(v.status), ...v.extra })),
        total: page.total,
        next: page.next,
      });
    }),
  );

  router.get(
    '/findings',
    handle(async (req, res, next) => {
      const { name, version } = target(req);
      const record = await runtime.store.versions.versionOf(name, version);
      if (!record) throw new ApprovalError('UNKNOWN_VERSION', `Cordon has never seen ${name}@${version}.`);
      const analysis = record.integrity ? await runtime.store.analyses.analysisOf(name, version, record.integrity) : undefined;
      const status = await approvals.status(name, version);
      if (!status) throw new ApprovalError('UNKNOWN_VERSION', `Cordon has never seen ${name}@${version}.`);
      const base = {
        now: iso(clock.now()),
        status: publicStatus(status),
        analysis: analysis
          ? {
              previousVersion: analysis.previousVersion,
              findings: analysis.findings,
              digest: analysis.digest,
              maxSeverity: analysis.maxSeverity,
              analyzerVersion: analysis.analyzerVersion,
              finishedAt: iso(analysis.finishedAt),
            }
          : null,
      };
      if (req.query.files !== '1' || !analysis || !record.integrity) return void res.json({ ...base, diff: null });
      const prev = analysis.previousVersion ? (await runtime.store.versions.versionOf(name, analysis.previousVersion))?.integrity : null;
      const withFindings = new Set(req.query.unified === '1' ? analysis.findings.flatMap((f) => (f.file ? [f.file] : [])) : []);
      runtime.diffs
        .build({
          name,
          version,
          integrity: record.integrity,
          previous: analysis.previousVersion && prev ? { version: analysis.previousVersion, integrity: prev } : null,
        })
        .then(
          (review) => {
            const unified: Record<string, string | null> = {};
            for (const f of review.files) if (withFindings.has(f.path)) unified[f.path] = unifiedText(f);
            const diff: VersionDiff = {
              previousVersion: review.previousVersion,
              files: review.files.map(({ path, change, oldSize, newSize }) => ({ path, change, oldSize, newSize })),
              unified,
            };
            res.json({ ...base, diff });
          },
          // The findings stand without the diff; say why it is missing instead of failing the review.
          (err: unknown) =>
            err instanceof CordonError
              ? res.json({ ...base, diff: null, diffError: { code: err.code, error: `cannot build the file diff: ${err.message}` } })
              : next(err),
        );
    }),
  );

  router.get(
    '/audit',
    handle(async (req, res) => {
      const after = Number(req.query.after ?? 0);
      const limit = Math.min(Number(req.query.limit ?? 500), 1000);
      const before = req.query.before === undefined ? null : Number(req.query.before);
      if (
        !Number.isInteger(after) ||
        after < 0 ||
        !Number.isInteger(limit) ||
        limit < 1 ||
        (before !== null && (!Number.isInteger(before) || before < 1))
      ) {
        throw new ApprovalError('BAD_REQUEST', 'after, before and limit must be non-negative integers (limit 1–1000).');
      }
      const log = runtime.store.audit;
      if (before !== null) {
        // Newest first, for the audit page.
        const entries = await log.pageBefore(before, limit);
        return void res.json({ entries, head: await log.head(), next: entries.length === limit ? entries[entries.length - 1]!.id : null });
      }
      const entries = await log.page(after, limit);
      res.json({ entries, head: await log.head(), next: entries.length === limit ? entries[entries.length - 1]!.id : null });
    }),
  );

  router.use((req) => {
    throw new ApprovalError(
      'NO_SUCH_ROUTE',
      `No approvals API at ${req.method} ${req.originalUrl}. See README "Approvals" for the routes.`,
    );
  });
  return router;
}

function publicStatus(s: ApprovalStatus) {
  return { ...s, cooldownEndsAt: iso(s.cooldownEndsAt), releaseAt: iso(s.releaseAt) };
}

function publicDecision(d: StoredDecision) {
  return { ...d, issuedAt: iso(d.issuedAt), acceptedAt: iso(d.acceptedAt) };
}
