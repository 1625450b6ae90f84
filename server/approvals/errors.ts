/** Why Cordon refused a signed decision, or could not read a key or signature. One code per cause. */
import { CordonError } from '../errors';

export type ApprovalErrorCode =
  // The request itself
  | 'BAD_REQUEST'
  | 'NO_SUCH_ROUTE'
  | 'UNKNOWN_VERSION'
  // The signature and who made it
  | 'SIGNATURE_MALFORMED'
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_SIGNER'
  | 'APPROVER_MISMATCH'
  // The statement against the version as it is now
  | 'STATEMENT_MALFORMED'
  | 'WRONG_MIRROR'
  | 'WRONG_PACKAGE'
  | 'WRONG_VERSION'
  | 'WRONG_INTEGRITY'
  | 'DIGEST_CHANGED'
  | 'STATEMENT_EXPIRED'
  | 'STATEMENT_FROM_FUTURE'
  | 'NONCE_REUSED'
  | 'ANALYSIS_PENDING'
  | 'NOT_DECIDABLE'
  | 'ALREADY_SIGNED'
  // Keys on the approver's side
  | 'KEY_UNREADABLE'
  | 'KEY_UNSUPPORTED'
  | 'SSH_KEYGEN_FAILED';

/** A refused decision or an unusable key/signature; `code` is what tests, the API and the CLI switch on. */
export class ApprovalError extends CordonError<ApprovalErrorCode> {
  /** The HTTP status the API answers this refusal with. */
  get status(): number {
    return APPROVAL_HTTP_STATUS[this.code];
  }
}

/** HTTP status for each code the API can answer with. */
const APPROVAL_HTTP_STATUS: Readonly<Record<ApprovalErrorCode, number>> = {
  BAD_REQUEST: 400,
  NO_SUCH_ROUTE: 404,
  UNKNOWN_VERSION: 404,
  SIGNATURE_MALFORMED: 400,
  BAD_SIGNATURE: 403,
  UNKNOWN_SIGNER: 403,
  APPROVER_MISMATCH: 403,
  STATEMENT_MALFORMED: 400,
  WRONG_MIRROR: 409,
  WRONG_PACKAGE: 409,
  WRONG_VERSION: 409,
  WRONG_INTEGRITY: 409,
  DIGEST_CHANGED: 409,
  STATEMENT_EXPIRED: 409,
  STATEMENT_FROM_FUTURE: 409,
  NONCE_REUSED: 409,
  ANALYSIS_PENDING: 409,
  NOT_DECIDABLE: 409,
  ALREADY_SIGNED: 409,
  KEY_UNREADABLE: 400,
  KEY_UNSUPPORTED: 400,
  SSH_KEYGEN_FAILED: 500,
};
