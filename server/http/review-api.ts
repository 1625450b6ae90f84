/**
 * What the review pages read, under `/-/cordon/api/v1/review` (all open, like every read): one version's
 * review, its file and metadata diff (cached, rate-limited: 429 with Retry-After), the recently decided
 * and blocked versions, and the audit chain's verification status.
 */
import { Router, type Request } from 'express';
import type { CordonRuntime } from '../assemble';
import { handle } from './async-route';
import { ApprovalError } from '../approvals/errors';
import { STATEMENT_TTL_MS } from '../approvals/verify-decision';
import { verifyAudit } from '../approvals/audit-verify';
import type { AuditEntry } from '../../storage';
import validateName from './package-name';
import { bySeverity, RECENT_VIEWS } from './review-data';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function target(req: Request): { name: string; version: string } {
  const name = req.query.package;
  const version = req.query.version;
  if (typeof name !== 'string' || !validateName(name)) throw new ApprovalError('BAD_REQUEST', 'package must be a valid npm package name.');
  if (typeof version !== 'string' || version === '' || version.length > 256)
    throw new ApprovalError('BAD_REQUEST', 'version must be one string of at most 256 characters.');
  return { name, version };
}

/** A shell-safe single-quoted argument (package names and versions are hostile text too). */
const quote = (s: string): string => (/^[A-Za-z0-9@/._+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The router for `/-/cordon/api/v1/review`. */
export function reviewApi(runtime: Pick<CordonRuntime, 'approvals' | 'clock' | 'config' | 'passkeys' | 'store' | 'ops' | 'diffs'>): Router {
  const { approvals, clock, config, passkeys } = runtime;
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/clock', (_req, res) => {
    res.json({ now: iso(clock.now()) });
  });

  router.get(
    '/version',
    handle(async (req, res) => {
      const { name, version } = target(req);
      const status = await approvals.status(name, version);
      if (!status)
        throw new ApprovalError(
          'UNKNOWN_VERSION',
          `Cordon has never seen ${name}@${version}. Request it once through the mirror (npm view ${name}@${version}).`,
        );
      const analysis = status.integrity ? await runtime.store.analyses.analysisOf(name, version, status.integrity) : undefined;
      const spec = quote(`${name}@${version}`);
      const refused = (await runtime.ops.refusals.of(name)).get(version);
      const decisions = await approvals.decisionsOf(name, version);
      const approvers = await Promise.all(
        config.approvers.map(async (a) => ({ name: a.name, passkeys: (await passkeys.activeOf(a)).length })),
      );
      res.json({
        now: iso(clock.now()),
        mirrorId: approvals.mirrorId,
        status: {
          ...status,
          cooldownEndsAt: iso(status.cooldownEndsAt),
          releaseAt: iso(status.releaseAt),
          publishedAt: iso(status.publishedAt),
          firstSeenAt: iso(status.firstSeenAt),
          updatedAt: iso(status.updatedAt),
        },
        // Installs that asked for it while it was hidden: the builds to look at when it turns out bad.
        refusals: refused
          ? { count: refused.count, firstAt: iso(refused.firstAt), lastAt: iso(refused.lastAt), lastUserAgent: refused.lastUserAgent }
          : { count: 0, firstAt: null, lastAt: null, lastUserAgent: null },
        analysis: analysis
          ? {
              previousVersion: analysis.previousVersion,
              findings: bySeverity(analysis.findings),
              digest: analysis.digest,
              analyzerVersion: analysis.analyzerVersion,
              finishedAt: iso(analysis.finishedAt),
            }
          : null,
        decisions: decisions.map((d) => ({
          approver: d.approver,
          decision: d.decision,
          method: d.method,
          integrity: d.integrity,
          findingsDigest: d.findingsDigest,
          reason: safeReason(d.statement),
          acceptedAt: iso(d.acceptedAt),
          auditId: d.auditId,
          counts:
            d.decision !== 'approve'
              ? null
              : d.integrity !== status.integrity || d.findingsDigest !== status.findingsDigest
                ? 'no: it was made for other bytes or findings'
                : config.approvers.some((a) => a.name === d.approver && a.publicKey === d.publicKey)
                  ? 'yes'
                  : 'no: the signer is no longer an approver with that key',
        })),
        approvers,
        passkeys: passkeys.relyingParty,
        statementTtlMs: STATEMENT_TTL_MS,
        commands: {
          approve: `cordon approve ${spec} --reason "…"`,
          reject: `cordon reject ${spec} --reason "…"`,
          show: `cordon show ${spec} --diff`,
        },
      });
    }),
  );

  router.get(
    '/diff',
    handle(async (req, res) => {
      const { name, version } = target(req);
      const record = await runtime.store.versions.versionOf(name, version);
      if (!record) throw new ApprovalError('UNKNOWN_VERSION', `Cordon has never seen ${name}@${version}.`);
      if (!record.integrity)
        throw new ApprovalError('NOT_DECIDABLE', `${name}@${version} has no tarball integrity, so there are no reviewed bytes to diff.`);
      const analysis = await runtime.store.analyses.analysisOf(name, version, record.integrity);
      const previousVersion = analysis?.previousVersion ?? null;
      const previousIntegrity = previousVersion ? (await runtime.store.versions.versionOf(name, previousVersion))?.integrity : null;
      res.json(
        await runtime.diffs.build({
          name,
          version,
          integrity: record.integrity,
          previous: previousVersion && previousIntegrity ? { version: previousVersion, integrity: previousIntegrity } : null,
        }),
      );
    }),
  );

  router.get(
    '/recent',
    handle(async (req, res) => {
      const view = typeof req.query.view === 'string' ? req.query.view : 'decided';
      const states = RECENT_VIEWS[view];
      if (!states) throw new ApprovalError('BAD_REQUEST', `view must be one of ${Object.keys(RECENT_VIEWS).join(', ')}.`);
      const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 500);
      res.json({
        now: iso(clock.now()),
        view,
        versions: (await approvals.recent(states, limit)).map((s) => ({
          package: s.package,
          version: s.version,
          state: s.state,
          reason: s.reason,
          updatedAt: iso(s.updatedAt),
          publishedAt: iso(s.publishedAt),
          maxSeverity: s.maxSeverity,
          approvedBy: s.approvedBy,
        })),
      });
    }),
  );

  // Verifying the whole chain costs one pass over the log: done once per head, and at most every 10 s.
  let checked: { headId: number; at: number; result: Record<string, unknown> } | null = null;
  router.get(
    '/audit-status',
    handle(async (_req, res) => {
      const log = runtime.store.audit;
      const head = await log.head();
      const now = clock.now();
      if (!checked || checked.headId !== (head?.id ?? 0) || now - checked.at > 10_000) {
        const entries: AuditEntry[] = [];
        for (let page = await log.page(0, 1000); page.length; page = await log.page(page[page.length - 1]!.id, 1000)) entries.push(...page);
        const report = verifyAudit(entries);
        checked = {
          headId: head?.id ?? 0,
          at: now,
          result: {
            ok: report.problems.length === 0,
            entries: report.entries,
            decisions: report.decisions.length,
            passkeyDecisions: report.decisions.filter((d) => d.method === 'webauthn').length,
            enrollments: report.enrollments.length,
            problems: report.problems.slice(0, 50),
            head: report.head,
            checkedAt: iso(now),
          },
        };
      }
      res.json(checked.result);
    }),
  );

  return router;
}

/** The reason in a stored statement (it was parsed when accepted). */
function safeReason(statement: string): string {
  try {
    const reason = (JSON.parse(statement) as { reason?: unknown }).reason;
    return typeof reason === 'string' ? reason : '';
  } catch {
    return '';
  }
}
