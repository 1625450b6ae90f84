/** The statement an approver signs: one decision about exactly one tarball and one set of findings. */
import { randomBytes } from 'node:crypto';
import { canonicalJson, parseStringRecord } from '../canonical-json';
import { ApprovalError } from './errors';

export const STATEMENT_TYPE = 'cordon-decision/v1';
export const DECISIONS = ['approve', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];
/** Longest reason kept; a reason is for a person, not a document. */
export const MAX_REASON = 2000;

/** Every field is a string, so the canonical form has no number formatting to disagree about. */
export interface Statement {
  readonly type: typeof STATEMENT_TYPE;
  readonly mirrorId: string;
  readonly package: string;
  readonly version: string;
  /** Subresource-integrity string of the tarball, as the mirror records it. */
  readonly integrity: string;
  /** Digest of the findings the approver reviewed (sha256 hex of the canonical findings). */
  readonly findingsDigest: string;
  readonly decision: Decision;
  readonly reason: string;
  /** The approver's name in the config. */
  readonly approver: string;
  /** ISO 8601 UTC with milliseconds. */
  readonly issuedAt: string;
  /** Random, single use. */
  readonly nonce: string;
}

const KEYS = [
  'approver',
  'decision',
  'findingsDigest',
  'integrity',
  'issuedAt',
  'mirrorId',
  'nonce',
  'package',
  'reason',
  'type',
  'version',
] as const;

/** The exact UTF-8 text that is signed. */
export function canonicalStatement(s: Statement): string {
  return canonicalJson(s);
}

/** A fresh nonce: 128 random bits, base64url. */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

const malformed = (why: string): never => {
  throw new ApprovalError(
    'STATEMENT_MALFORMED',
    `The signed statement ${why}. Fetch a new statement with "cordon approve" (or GET …/statement) and sign it unchanged.`,
  );
};

/**
 * Parses signed statement text. It must be exactly the canonical form of a statement with these
 * fields and no others, so two different texts can never mean the same decision.
 */
export function parseStatement(text: string): Statement {
  const parsed = parseStringRecord(text, KEYS);
  if (!parsed.ok) return malformed(parsed.problem);
  const obj = parsed.value;
  const s = obj as unknown as Statement;
  if (s.type !== STATEMENT_TYPE) malformed(`is of type ${JSON.stringify(s.type)}, not ${STATEMENT_TYPE}`);
  if (!(DECISIONS as readonly string[]).includes(s.decision)) malformed('has a decision other than "approve" or "reject"');
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(s.nonce)) malformed('has a nonce that is not 16–64 base64url characters');
  if (s.reason.length > MAX_REASON) malformed(`has a reason longer than ${MAX_REASON} characters`);
  if (!s.package || !s.version || !s.integrity || !s.findingsDigest || !s.approver || !s.mirrorId) malformed('has an empty field');
  const issued = Date.parse(s.issuedAt);
  if (!Number.isFinite(issued) || new Date(issued).toISOString() !== s.issuedAt)
    malformed('has an issuedAt that is not an ISO 8601 UTC time like 2026-11-20T12:00:00.000Z');
  if (canonicalStatement(s) !== text) malformed('is not in canonical form (sorted keys, no spaces)');
  return s;
}
