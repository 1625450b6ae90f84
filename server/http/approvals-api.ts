/**
 * Signed decisions over HTTP, under `/-/cordon/api/v1/approvals`: the statement to sign, posting a
 * signed decision, a version's decisions and findings (with the file diff), the waiting queue and the
 * audit log. Reads are open; the only write is a decision, and it needs a valid signature.
 */
import express, { Router, type Request } from 'express';
import type { CordonRuntime } from '../runtime';
import type { Logger } from '../logger';
import { ApprovalError } from '../approvals/errors';
import { DECISIONS, type Decision } from '../approvals/statement';
import { NAMESPACE } from '../approvals/sshsig';
import { STATEMENT_TTL_MS } from '../approvals/verify-decision';
import { versionDiff } from '../approvals/version-diff';
import { CordonError } from '../errors';
import validateName from './package-name';
import { countDecision } from '../ops/decision-metrics';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function param(req: Request, key: string, required = true): string {
  const value = req.query[key] ?? (req.body as Record<string, unknown> | undefined)?.[key];
  if (value === undefined && !required) return '';
  if (typeof value !== 'string' || (required && value === '')) throw new ApprovalError('BAD_REQUEST', `The request needs "${key}" as one string. See "cordon --help" for the client that fills it in.`);
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
export function approvalsApi(runtime: CordonRuntime, logger: Logger): Router {
  const { approvals, clock, config } = runtime;
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/mirror', (_req, res) => {
    res.json({ mirrorId: approvals.mirrorId, namespace: NAMESPACE, approvers: config.approvers.map((a) => ({ name: a.name, key: a.line })) });
  });

  router.get('/statement', (req, res) => {
    const { name, version } = target(req);
    const decision = param(req, 'decision');
    if (!(DECISIONS as readonly string[]).includes(decision)) throw new ApprovalError('BAD_REQUEST', 'decision must be "approve" or "reject".');
    const key = param(req, 'key');
    const { statement, text } = approvals.statementFor(name, version, decision as Decision, param(req, 'reason', false), key);
    res.json({ statement, text, namespace: NAMESPACE, expiresAt: new Date(Date.parse(statement.issuedAt) + STATEMENT_TTL_MS).toISOString() });
  });

  router.post('/decisions', express.json({ limit: '64kb' }), (req, res) => {
    let outcome: ReturnType<typeof approvals.submit>;
    let name: string;
    let version: string;
    try {
      ({ name, version } = target(req));
      outcome = approvals.submit(name, version, param(req, 'statement'), param(req, 'signature'));
      countDecision(runtime.ops.metrics, 'ssh', (req.body as Record<string, unknown> | undefined)?.statement, null);
    } catch (err) {
      countDecision(runtime.ops.metrics, 'ssh', (req.body as Record<string, unknown> | undefined)?.statement, err);
      throw err;
    }
    logger.info({ package: name, version, approver: outcome.decision.approver, decision: outcome.decision.decision, state: outcome.status.state }, 'cordon: signed decision accepted');
    res.status(201).json({ accepted: publicDecision(outcome.decision), transition: outcome.transition, status: publicStatus(outcome.status) });
  });

  router.get('/decisions', (req, res) => {
    const { name, version } = target(req);
    const status = approvals.status(name, version);
    if (!status) throw new ApprovalError('UNKNOWN_VERSION', `Cordon has never seen ${name}@${version}.`);
    res.json({ status: publicStatus(status), decisions: approvals.decisionsOf(name, version).map(publicDecision) });
  });

  router.get('/queue', (_req, res) => {
    res.json({ now: iso(clock.now()), versions: approvals.queue().map(publicStatus) });
  });

  router.get('/findings', (req, res, next) => {
    const { name, version } = target(req);
    const record = runtime.store.versionOf(name, version);
    if (!record) throw new ApprovalError('UNKNOWN_VERSION', `Cordon has never seen ${name}@${version}.`);
    const analysis = record.integrity ? runtime.analyses.analysisOf(name, version, record.integrity) : undefined;
    const base = { now: iso(clock.now()), status: publicStatus(approvals.status(name, version)!), analysis: analysis ? { previousVersion: analysis.previousVersion, findings: analysis.findings, digest: analysis.digest, maxSeverity: analysis.maxSeverity, analyzerVersion: analysis.analyzerVersion, finishedAt: iso(analysis.finishedAt) } : null };
    if (req.query.files !== '1' || !analysis || !record.integrity) return void res.json({ ...base, diff: null });
    const previous = analysis.previousVersion ? { version: analysis.previousVersion, integrity: runtime.store.versionOf(name, analysis.previousVersion)?.integrity ?? null } : null;
    const withFindings = req.query.unified === '1' ? analysis.findings.flatMap((f) => (f.file ? [f.file] : [])) : [];
    versionDiff(config.upstream, name, version, record.integrity, previous, withFindings).then(
      (diff) => res.json({ ...base, diff }),
      // The findings stand without the diff; say why it is missing instead of failing the review.
      (err: unknown) => (err instanceof CordonError ? res.json({ ...base, diff: null, diffError: { code: err.code, error: `cannot build the file diff from upstream: ${err.message}` } }) : next(err)),
    );
  });

  router.get('/audit', (req, res) => {
    const after = Number(req.query.after ?? 0);
    const limit = Math.min(Number(req.query.limit ?? 500), 1000);
    if (!Number.isInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1) throw new ApprovalError('BAD_REQUEST', 'after and limit must be non-negative integers (limit 1–1000).');
    const log = runtime.store.auditLog;
    const entries = log.page(after, limit);
    res.json({ entries, head: log.head(), next: entries.length === limit ? entries[entries.length - 1]!.id : null });
  });

  router.use((req) => {
    throw new ApprovalError('NO_SUCH_ROUTE', `No approvals API at ${req.method} ${req.originalUrl}. See README "Approvals" for the routes.`);
  });
  return router;
}

function publicStatus(s: NonNullable<ReturnType<CordonRuntime['approvals']['status']>>) {
  return { ...s, cooldownEndsAt: iso(s.cooldownEndsAt), releaseAt: iso(s.releaseAt) };
}

function publicDecision(d: ReturnType<CordonRuntime['approvals']['decisionsOf']>[number]) {
  return { ...d, issuedAt: iso(d.issuedAt), acceptedAt: iso(d.acceptedAt) };
}
