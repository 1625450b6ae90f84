/**
 * Table rows as both backends read them, and the one mapping from a row to its record. SQLite and
 * PostgreSQL hand back the same shapes: the PostgreSQL connection parses int8 as a number and every
 * JSON column is TEXT on both, so a mapper here never needs to know which backend read the row.
 */
import semver from 'semver';
import type { VersionRecord, VersionState } from '../server/policy/version-state';
import type { Job, JobStatus } from './job-store';
import type { StoredEnrollment, StoredPasskey } from './passkey-store';
import type { Delivery, DeliveryStatus, NotifyFacts, StoredNotifyEvent } from './notification-outbox';
import type { StoredAnalysis, StoredFinding } from './analysis-store';
import type { DecisionMethod, StoredDecision } from './approval-store';
import type { AuditEntry } from './audit-log';
import type { StoredAbsence } from './withdrawal-store';

export interface JobRow {
  id: string;
  package: string;
  version: string;
  integrity: string;
  previous_version: string | null;
  previous_integrity: string | null;
  status: JobStatus;
  attempts: number;
  run_after: number;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  failing_since: number | null;
}

export const toJob = (r: JobRow): Job => ({
  id: r.id,
  package: r.package,
  version: r.version,
  integrity: r.integrity,
  previousVersion: r.previous_version,
  previousIntegrity: r.previous_integrity,
  status: r.status,
  attempts: r.attempts,
  runAfter: r.run_after,
  lockedUntil: r.locked_until,
  lastError: r.last_error,
  createdAt: r.created_at,
  failingSince: r.failing_since,
});

/** The job of the lowest version (semver order; versions semver cannot read come last, oldest job first). */
export function lowestVersion(jobs: readonly Job[]): Job | undefined {
  let best: Job | undefined;
  for (const job of jobs) {
    if (!best) best = job;
    else if (semver.valid(job.version) && (!semver.valid(best.version) || semver.lt(job.version, best.version))) best = job;
  }
  return best;
}

export interface EnrollmentRow {
  token_hash: string;
  approver: string;
  public_key: string;
  request: string;
  signature: string;
  nonce: string;
  created_at: number;
  expires_at: number;
  challenge: string | null;
  used_at: number | null;
}

export interface PasskeyRow {
  credential_id: string;
  approver: string;
  ssh_key: string;
  public_key: string;
  public_key_pem: string;
  algorithm: number;
  counter: number;
  transports: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  removed_at: number | null;
  audit_id: number;
}

export const toEnrollment = (r: EnrollmentRow): StoredEnrollment => ({
  tokenHash: r.token_hash,
  approver: r.approver,
  publicKey: r.public_key,
  request: r.request,
  signature: r.signature,
  nonce: r.nonce,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  challenge: r.challenge,
  usedAt: r.used_at,
});

export const toPasskey = (r: PasskeyRow): StoredPasskey => ({
  credentialId: r.credential_id,
  approver: r.approver,
  sshKey: r.ssh_key,
  publicKey: r.public_key,
  publicKeyPem: r.public_key_pem,
  algorithm: r.algorithm,
  counter: r.counter,
  transports: JSON.parse(r.transports) as string[],
  tokenHash: r.token_hash,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  removedAt: r.removed_at,
  auditId: r.audit_id,
});

export interface VersionRow {
  package: string;
  version: string;
  state: VersionState;
  published_at: number | null;
  first_seen_at: number;
  integrity: string | null;
  tarball: string | null;
  tarball_url: string | null;
  blob: string | null;
  reason: string;
  updated_at: number;
  analysis: VersionRecord['analysis'];
  max_severity: string | null;
  findings_digest: string | null;
  publisher: string | null;
}

export const toRecord = (r: VersionRow): VersionRecord => ({
  package: r.package,
  version: r.version,
  state: r.state,
  publishedAt: r.published_at,
  firstSeenAt: r.first_seen_at,
  integrity: r.integrity,
  tarball: r.tarball,
  tarballUrl: r.tarball_url,
  blob: r.blob,
  reason: r.reason,
  updatedAt: r.updated_at,
  analysis: r.analysis,
  maxSeverity: r.max_severity,
  findingsDigest: r.findings_digest,
  publisher: r.publisher,
});

export interface EventRow {
  id: number;
  uid: string;
  event: string;
  package: string;
  version: string;
  from_state: VersionState | null;
  to_state: VersionState;
  reason: string;
  cause: string;
  at: number;
  facts: string;
}

export interface DeliveryRow {
  event_id: number;
  uid: string;
  event: string;
  package: string;
  version: string;
  endpoint: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_at: number;
  last_error: string | null;
}

export const toEvent = (r: EventRow): StoredNotifyEvent => ({
  id: r.id,
  uid: r.uid,
  event: r.event,
  package: r.package,
  version: r.version,
  fromState: r.from_state,
  toState: r.to_state,
  reason: r.reason,
  cause: r.cause,
  at: r.at,
  facts: JSON.parse(r.facts) as NotifyFacts,
});

export const toDelivery = (r: DeliveryRow): Delivery => ({
  eventId: r.event_id,
  uid: r.uid,
  event: r.event,
  package: r.package,
  version: r.version,
  endpoint: r.endpoint,
  body: r.body,
  status: r.status,
  attempts: r.attempts,
  nextAt: r.next_at,
  lastError: r.last_error,
});

export interface AnalysisRow {
  package: string;
  version: string;
  integrity: string;
  previous_version: string | null;
  findings: string;
  digest: string;
  max_severity: string | null;
  analyzer_version: string;
  timings: string;
  finished_at: number;
}

export const toAnalysis = (r: AnalysisRow): StoredAnalysis => ({
  package: r.package,
  version: r.version,
  integrity: r.integrity,
  previousVersion: r.previous_version,
  findings: JSON.parse(r.findings) as StoredFinding[],
  digest: r.digest,
  maxSeverity: r.max_severity,
  analyzerVersion: r.analyzer_version,
  timings: JSON.parse(r.timings) as Record<string, number>,
  finishedAt: r.finished_at,
});

export interface DecisionRow {
  id: number;
  package: string;
  version: string;
  integrity: string;
  findings_digest: string;
  decision: 'approve' | 'reject';
  approver: string;
  public_key: string;
  statement: string;
  signature: string;
  method: DecisionMethod;
  evidence: string | null;
  nonce: string;
  issued_at: number;
  accepted_at: number;
  audit_id: number;
}

export const toDecision = (r: DecisionRow): StoredDecision => ({
  id: r.id,
  package: r.package,
  version: r.version,
  integrity: r.integrity,
  findingsDigest: r.findings_digest,
  decision: r.decision,
  approver: r.approver,
  publicKey: r.public_key,
  statement: r.statement,
  signature: r.signature,
  method: r.method,
  evidence: r.evidence === null ? null : (JSON.parse(r.evidence) as Record<string, unknown>),
  nonce: r.nonce,
  issuedAt: r.issued_at,
  acceptedAt: r.accepted_at,
  auditId: r.audit_id,
});

export interface AuditRow {
  id: number;
  at: number;
  package: string;
  version: string | null;
  from_state: VersionState | null;
  to_state: VersionState | null;
  cause: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export const toAudit = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  package: r.package,
  version: r.version,
  fromState: r.from_state,
  toState: r.to_state,
  cause: r.cause,
  detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
  prevHash: r.prev_hash,
  hash: r.hash,
});

export interface AbsenceRow {
  package: string;
  version: string;
  first_missing_at: number;
  last_missing_at: number;
  misses: number;
  last_source: string;
  cleared_at: number | null;
  cleared_by: string | null;
}

export const toAbsence = (r: AbsenceRow): StoredAbsence => ({
  package: r.package,
  version: r.version,
  firstMissingAt: r.first_missing_at,
  lastMissingAt: r.last_missing_at,
  misses: r.misses,
  lastSource: r.last_source,
  clearedAt: r.cleared_at,
  clearedBy: r.cleared_by,
});
