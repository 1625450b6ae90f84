/** Why the file diff of a review could not be had now. */
import { CordonError } from '../errors';

export type DiffErrorCode = 'DIFF_BUSY' | 'DIFF_SOURCE_FAILED' | 'DIFF_INTEGRITY' | 'DIFF_UNREADABLE' | 'DIFF_TIMEOUT';

const STATUS: Readonly<Record<DiffErrorCode, number>> = {
  DIFF_BUSY: 429,
  DIFF_SOURCE_FAILED: 502,
  DIFF_INTEGRITY: 502,
  DIFF_UNREADABLE: 422,
  DIFF_TIMEOUT: 503,
};

/** A diff that cannot be built (now); DIFF_BUSY carries how long to wait. */
export class DiffError extends CordonError<DiffErrorCode> {
  constructor(code: DiffErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(code, message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? null;
  }
  readonly retryAfterSeconds: number | null;
  get status(): number {
    return STATUS[this.code];
  }
}
