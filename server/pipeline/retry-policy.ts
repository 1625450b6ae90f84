/**
 * Whether a failed analysis is tried again, and when. Transient faults (an upstream answering 5xx, a
 * timeout, a broken connection) are retried with capped exponential backoff for a time window, hours by
 * default, so an outage never needs a person; an attempt that ran out of its time budget is retried a
 * few times; input that will never succeed fails at once. Pure.
 */
import type { AnalysisErrorCode } from './analysis-job';

export interface RetrySettings {
  /** Attempts made at least before giving up. */
  readonly attempts: number;
  /** Transient faults are retried until they have lasted this long (and `attempts` were made). */
  readonly retryForMs: number;
  /** The longest wait between two attempts. */
  readonly backoffMaxMs: number;
}

/** Where a job stands when an attempt failed. */
export interface FailedAttempt {
  /** Attempts made, this one included. */
  readonly attempts: number;
  /** When its current run of failures began. */
  readonly failingSince: number;
}

/** Exponential backoff for attempt `n` (1-based): 2s, 4s, 8s … capped at `maxMs`. */
export function backoffMs(attempt: number, maxMs: number): number {
  return Math.min(2_000 * 2 ** Math.min(30, Math.max(0, attempt - 1)), maxMs);
}

/** When to try again after a failed attempt, or null to give up and let a person decide. */
export function nextAttemptAt(job: FailedAttempt, code: AnalysisErrorCode, now: number, settings: RetrySettings): number | null {
  const at = now + backoffMs(job.attempts, settings.backoffMaxMs);
  switch (code) {
    case 'TRANSIENT':
      return job.attempts < settings.attempts || now - job.failingSince < settings.retryForMs ? at : null;
    case 'TIMEOUT':
      // An analysis that ran out of time will likely do so again: a few tries, not hours of them.
      return job.attempts < settings.attempts ? at : null;
    default:
      return null;
  }
}
