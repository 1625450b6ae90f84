/**
 * What an approver signs with their SSH key to manage passkeys: enroll (a one-time link whose token
 * hashes to `subject`) or remove (the credential id in `subject`). Canonical JSON, every value a string,
 * signed in its own SSHSIG namespace so it can never pass for a decision, nor a decision for it.
 */
import { canonicalJson, parseStringRecord } from '../canonical-json';
import { PasskeyError } from './errors';

export const PASSKEY_REQUEST_TYPE = 'cordon-passkey/v1';
/** The SSHSIG namespace of passkey requests (decisions use cordon-approval). */
export const PASSKEY_NAMESPACE = 'cordon-passkey';
export const PASSKEY_ACTIONS = ['enroll', 'remove'] as const;
export type PasskeyAction = (typeof PASSKEY_ACTIONS)[number];
/** How long a signed request, and the enrollment link it creates, stays usable. */
export const ENROLLMENT_TTL_MS = 10 * 60_000;

export interface PasskeyRequest {
  readonly type: typeof PASSKEY_REQUEST_TYPE;
  readonly action: PasskeyAction;
  readonly mirrorId: string;
  readonly approver: string;
  /** enroll: sha256 hex of the link's token; remove: the credential id. */
  readonly subject: string;
  readonly issuedAt: string;
  readonly nonce: string;
}

const KEYS = ['action', 'approver', 'issuedAt', 'mirrorId', 'nonce', 'subject', 'type'] as const;

/** The exact text that is signed. */
export function canonicalRequest(r: PasskeyRequest): string {
  return canonicalJson(r);
}

const malformed = (why: string): never => {
  throw new PasskeyError(
    'REQUEST_MALFORMED',
    `The signed passkey request ${why}. Run "cordon passkey add" (or remove) again; it fetches the request and signs it unchanged.`,
  );
};

/** Parses signed request text: exactly the canonical form of a request with these fields and no others. */
export function parseRequest(text: string): PasskeyRequest {
  const parsed = parseStringRecord(text, KEYS);
  if (!parsed.ok) return malformed(parsed.problem);
  const obj = parsed.value;
  for (const k of KEYS) if (obj[k] === '') malformed(`field "${k}" is empty`);
  const r = obj as unknown as PasskeyRequest;
  if (r.type !== PASSKEY_REQUEST_TYPE) malformed(`is of type ${JSON.stringify(r.type)}, not ${PASSKEY_REQUEST_TYPE}`);
  if (!(PASSKEY_ACTIONS as readonly string[]).includes(r.action)) malformed('has an action other than "enroll" or "remove"');
  if (r.action === 'enroll' && !/^[0-9a-f]{64}$/.test(r.subject)) malformed('names a token hash that is not 64 hex digits');
  if (r.action === 'remove' && !/^[A-Za-z0-9_-]{1,1024}$/.test(r.subject)) malformed('names a credential id that is not base64url');
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(r.nonce)) malformed('has a nonce that is not 16–64 base64url characters');
  const issued = Date.parse(r.issuedAt);
  if (!Number.isFinite(issued) || new Date(issued).toISOString() !== r.issuedAt)
    malformed('has an issuedAt that is not an ISO 8601 UTC time');
  if (canonicalRequest(r) !== text) malformed('is not in canonical form (sorted keys, no spaces)');
  return r;
}
