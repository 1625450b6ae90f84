/** Why a passkey enrollment, registration or removal was refused. One code per cause. */
import { CordonError } from '../errors';

export type PasskeyErrorCode =
  | 'PASSKEYS_OFF'
  | 'REQUEST_MALFORMED'
  | 'REQUEST_EXPIRED'
  | 'ENROLLMENT_UNKNOWN'
  | 'ENROLLMENT_EXPIRED'
  | 'ENROLLMENT_USED'
  | 'REGISTRATION_FAILED'
  | 'NO_PASSKEY'
  | 'PASSKEY_UNKNOWN'
  | 'PASSKEY_REMOVED';

const STATUS: Readonly<Record<PasskeyErrorCode, number>> = {
  PASSKEYS_OFF: 409,
  REQUEST_MALFORMED: 400,
  REQUEST_EXPIRED: 409,
  ENROLLMENT_UNKNOWN: 404,
  ENROLLMENT_EXPIRED: 410,
  ENROLLMENT_USED: 410,
  REGISTRATION_FAILED: 400,
  NO_PASSKEY: 404,
  PASSKEY_UNKNOWN: 404,
  PASSKEY_REMOVED: 409,
};

/** A refused passkey operation; `code` is what tests, the API, the page and the CLI switch on. */
export class PasskeyError extends CordonError<PasskeyErrorCode> {
  /** The HTTP status the API answers with. */
  get status(): number {
    return STATUS[this.code];
  }
}
