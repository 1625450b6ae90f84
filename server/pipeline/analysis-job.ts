/** What an analysis job carries and returns; plain data, so it crosses worker threads and Redis unchanged. */
import { CordonError } from '../errors';
import type { Finding, Severity } from '../analyzer';

/**
 * The question one analysis answers. A result is recorded only for exactly the question its job asked:
 * the same mirror, version and pinned bytes, compared against the same previous version and bytes, by
 * the same analyzer. Mirrors sharing one Redis, late results and stale workers cannot cross.
 */
export interface AnalysisQuestion {
  readonly mirrorId: string;
  readonly package: string;
  readonly version: string;
  /** The pinned digest of the version's tarball. */
  readonly integrity: string;
  readonly previousVersion: string | null;
  readonly previousIntegrity: string | null;
  readonly analyzerVersion: string;
}

/** One side of the comparison: the registry manifest and where its verified bytes come from. */
export interface JobSide {
  readonly version: string;
  /** The registry's version object (readme dropped); null when upstream no longer lists it. */
  readonly manifest: Record<string, unknown> | null;
  /** Upstream tarball URL. */
  readonly tarballUrl: string;
  /** The pinned digest. */
  readonly integrity: string;
  /** sha512 of bytes verified before, or null. */
  readonly blob: string | null;
}

/** What the mirror knows about a registry dependency of the new version (the analyzer weighs the added or widened ones). */
export interface DependencyFact {
  /** The dependency as the manifest names it (for an `npm:` alias, the alias; the facts are of the package it names). */
  readonly name: string;
  /** False when upstream does not know the package (404): a dependency-confusion or typosquat signal. */
  readonly known: boolean;
  /** Upstream publish time of its oldest version (epoch ms), or null. */
  readonly firstPublishedAt: number | null;
  readonly versionCount: number;
}

/** The input of one analysis. */
export interface AnalysisJobData {
  /** The id of the job in the mirror's outbox (and in BullMQ). */
  readonly id: string;
  readonly question: AnalysisQuestion;
  readonly next: JobSide;
  readonly previous: JobSide | null;
  readonly dependencies: readonly DependencyFact[];
  /** When the mirror prepared the job (epoch ms): the analyzer's `now`. */
  readonly preparedAt: number;
  /** Folder of the verified store the mirror serves from, when the analysis runs beside it. */
  readonly blobsDir: string | null;
  readonly limits: { readonly maxTarballBytes: number; readonly tarballTimeoutMs: number };
  /** How much the analyzer may parse, and for how long, before it scans the rest as text (absent from older mirrors' jobs). */
  readonly budget?: AnalysisBudget;
  /** The upstream registry (ends in `/`): attestations are fetched only from it. */
  readonly upstream: string;
  /** When an added or widened dependency counts as young (the mirror's setting). */
  readonly youngDependency: { readonly maxAgeMs: number; readonly minVersions: number };
  /** Findings only the mirror can make (new package, publish burst), added to the analyzer's (absent: none). */
  readonly mirrorFindings?: readonly Finding[];
}

/** The parse and time budget of one analysis (see ParseBudget in the analyzer). */
export interface AnalysisBudget {
  readonly maxFileParseBytes: number;
  readonly maxTotalParseBytes: number;
  readonly timeMs: number;
}

/** The output of one successful analysis. */
export interface AnalysisOutput {
  /** Echo of the question answered. */
  readonly question: AnalysisQuestion;
  readonly findings: readonly Finding[];
  readonly digest: string;
  readonly maxSeverity: Severity | null;
  readonly analyzerVersion: string;
  readonly previousVersion: string | null;
  /** sha512 of the verified bytes read, for versions pinned to a weaker digest. */
  readonly blobs: { readonly next: string; readonly previous: string | null };
  readonly timings: { readonly fetchMs: number; readonly unpackMs: number; readonly analyzeMs: number; readonly totalMs: number };
}

export const ANALYSIS_ERROR_CODES = [
  'INTEGRITY_MISMATCH',
  'VERSION_WITHDRAWN',
  'TARBALL_UNREADABLE',
  'TARBALL_TOO_LARGE',
  'BAD_TARBALL_URL',
  'PROVENANCE_INVALID',
  'TIMEOUT',
  'TRANSIENT',
  'RESOURCE_LIMIT',
] as const;
export type AnalysisErrorCode = (typeof ANALYSIS_ERROR_CODES)[number];

/** Why an analysis did not produce a report. Only TIMEOUT and TRANSIENT are worth another attempt (RESOURCE_LIMIT: the thread ran out of memory). */
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
  if (match && (ANALYSIS_ERROR_CODES as readonly string[]).includes(match[1]!))
    return { code: match[1] as AnalysisErrorCode, message: match[2]! };
  return { code: 'TRANSIENT', message: text };
}

/** The fields in which two questions differ (empty when they are the same question). */
export function questionMismatch(asked: AnalysisQuestion, answered: AnalysisQuestion | undefined): string[] {
  if (!answered || typeof answered !== 'object') return ['question'];
  const keys: Array<keyof AnalysisQuestion> = [
    'mirrorId',
    'package',
    'version',
    'integrity',
    'previousVersion',
    'previousIntegrity',
    'analyzerVersion',
  ];
  return keys.filter((k) => asked[k] !== answered[k]);
}
