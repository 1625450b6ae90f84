/** What an analysis job carries and returns; plain data, so it crosses worker threads and Redis unchanged. */
import { CordonError } from '../errors';
import type { Finding, Severity } from '../analyzer';

/** The input of one analysis: the bytes to analyse are named by their integrity. */
export interface AnalysisJobData {
  readonly id: string;
  readonly package: string;
  readonly version: string;
  readonly integrity: string;
  readonly previousVersion: string | null;
  /** Upstream registry URL (ends with `/`). */
  readonly upstream: string;
}

/** The output of one successful analysis. */
export interface AnalysisOutput {
  readonly findings: readonly Finding[];
  readonly digest: string;
  readonly maxSeverity: Severity | null;
  readonly analyzerVersion: string;
  readonly previousVersion: string | null;
  readonly timings: { readonly fetchMs: number; readonly unpackMs: number; readonly analyzeMs: number; readonly totalMs: number };
}

export type AnalysisErrorCode =
  | 'INTEGRITY_MISMATCH'
  | 'VERSION_WITHDRAWN'
  | 'TARBALL_UNREADABLE'
  | 'BAD_TARBALL_URL'
  | 'PROVENANCE_INVALID'
  | 'TIMEOUT'
  | 'TRANSIENT';

/** Why an analysis did not produce a report. Only TIMEOUT and TRANSIENT are worth another attempt. */
export class AnalysisError extends CordonError<AnalysisErrorCode> {
  get retryable(): boolean {
    return this.code === 'TIMEOUT' || this.code === 'TRANSIENT';
  }
}

/** Serialised form of an error, as it crosses a thread or Redis. */
export interface AnalysisFailure {
  readonly code: AnalysisErrorCode;
  readonly message: string;
}

/** Any thrown value as an AnalysisFailure; unknown errors count as transient. */
export function toFailure(err: unknown): AnalysisFailure {
  if (err instanceof AnalysisError) return { code: err.code, message: err.message };
  return { code: 'TRANSIENT', message: (err as Error)?.message ?? String(err) };
}

/** Reads a failure back from a BullMQ failedReason (`CODE: message`). */
export function parseFailure(text: string): AnalysisFailure {
  const match = /^([A-Z_]+): ([\s\S]*)$/.exec(text);
  const codes: AnalysisErrorCode[] = ['INTEGRITY_MISMATCH', 'VERSION_WITHDRAWN', 'TARBALL_UNREADABLE', 'BAD_TARBALL_URL', 'PROVENANCE_INVALID', 'TIMEOUT', 'TRANSIENT'];
  if (match && codes.includes(match[1] as AnalysisErrorCode)) return { code: match[1] as AnalysisErrorCode, message: match[2]! };
  return { code: 'TRANSIENT', message: text };
}
