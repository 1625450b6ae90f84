/**
 * What the application may ask of the store. Every method answers a Promise; no `Db` handle, statement or
 * SQL crosses this line. Two backends implement it and pass one contract suite (test/storage/contract):
 * SQLite (`storage/sqlite/`, the embedded default) and PostgreSQL (`storage/postgres/`, chosen by
 * `CORDON_DATABASE_URL`). The record types are the ones the SQLite stores always had; they are declared
 * next to the SQLite code and re-exported from `storage/index.ts`.
 */
import type { AnalysisOutcome, VersionRecord, VersionState } from '../server/policy/version-state';
import type { AuditEntry, AuditInput } from './audit-log';
import type { Transition } from './transitions';
import type { JobSpec, SightingFindings } from './version-store';
import type { Job, JobStatus } from './job-store';
import type { StoredAnalysis, StoredFinding } from './analysis-store';
import type { NewDecision, StoredDecision } from './approval-store';
import type { NewPasskey, StoredEnrollment, StoredPasskey } from './passkey-store';
import type { Delivery, DeliveryStatus, NotifyChange, StoredNotifyEvent } from './notification-outbox';
import type { RefusalBatchEntry, RefusalTally } from './refusal-store';
import type { StoredAbsence } from './withdrawal-store';
import type { DataIdentity } from './data-folder';
import type { BackupSummary } from './backup';

/** Packages and versions: their states, sightings, pinned bytes. */
export interface VersionPort {
  hasPackage(name: string): Promise<boolean>;
  versionsOf(name: string): Promise<VersionRecord[]>;
  versionOf(name: string, version: string): Promise<VersionRecord | undefined>;
  versionsByPublisher(publisher: string, from: number, to: number): Promise<VersionRecord[]>;
  /** Every version whose upstream tarball file name is `tarball`. */
  versionsByTarball(name: string, tarball: string): Promise<VersionRecord[]>;
  versionsInState(state: VersionState): Promise<VersionRecord[]>;
  recentInStates(states: readonly VersionState[], limit: number): Promise<VersionRecord[]>;
  /** Quarantined versions of a package whose analysis came back clean. */
  cleanWaiting(name: string): Promise<VersionRecord[]>;
  packagesInState(state: VersionState): Promise<string[]>;
  packagesInStateSince(state: VersionState, since: number): Promise<string[]>;
  /**
   * One sighting, atomically: new version rows, transitions of known ones, analysis jobs and findings
   * known before analysis. Returns the transitions that applied (compare-and-set on their `from`).
   */
  recordSighting(
    name: string,
    at: number,
    inserts: readonly VersionRecord[],
    transitions: readonly Transition[],
    jobs?: readonly JobSpec[],
    findings?: readonly SightingFindings[],
  ): Promise<Transition[]>;
  /** Applies `t` only if the version is still in `t.from` (compare-and-set), with its audit entry and notification. */
  transition(t: Transition): Promise<boolean>;
  /** Records the verified blob of the pinned bytes; answers the blob now recorded (the first writer's), or null when the pin differs. */
  recordBlob(name: string, version: string, integrity: string, blob: string): Promise<string | null>;
  markRefreshed(name: string, at: number): Promise<void>;
}

/** Analyses, and findings the mirror added beyond them (cascades). */
export interface AnalysisPort {
  analysisOf(name: string, version: string, integrity: string): Promise<StoredAnalysis | undefined>;
  /** Keeps an analysis and its outcome and applies `transition`, one transaction; true when the transition applied. */
  record(analysis: StoredAnalysis, outcome: AnalysisOutcome, transition: Transition | null): Promise<boolean>;
  addedFindings(name: string, version: string, integrity: string): Promise<StoredFinding[]>;
  addFinding(
    transition: Transition,
    integrity: string,
    finding: StoredFinding & { rule: string },
    merged: { findings: readonly StoredFinding[]; digest: string; maxSeverity: string | null } | null,
  ): Promise<boolean>;
}

/** The analysis job outbox the queue runners drain. */
export interface JobPort {
  get(id: string): Promise<Job | undefined>;
  latestFor(name: string, version: string): Promise<Job | undefined>;
  claim(now: number, lockMs: number, limit: number, perPackage?: number): Promise<Job[]>;
  finish(id: string, status: 'done' | 'failed', error: string | null, now: number): Promise<void>;
  retry(id: string, runAfter: number, error: string, now: number): Promise<void>;
  postpone(id: string, runAfter: number, note: string, now: number): Promise<void>;
  requeue(id: string, now: number, note: string): Promise<void>;
  recover(now: number, all?: boolean): Promise<number>;
  active(): Promise<Job[]>;
  counts(): Promise<Record<JobStatus, number>>;
  nextRunAfter(): Promise<number | null>;
}

/** Signed decisions. */
export interface ApprovalPort {
  /** The mirror's id: the stored one, or `generate()`'s, stored on first use (first writer wins, across mirrors too). */
  mirrorId(generate: () => string): Promise<string>;
  nonceUsed(nonce: string): Promise<boolean>;
  decisionsOf(name: string, version: string): Promise<StoredDecision[]>;
  /** Keeps a decision, its audit entry and, when given, the transition (compare-and-set) — one transaction. */
  accept(input: NewDecision, transition: Transition | null): Promise<{ decision: StoredDecision; transitioned: boolean }>;
}

/** The hash-chained, append-only audit log. */
export interface AuditPort {
  /** Appends one entry chained to the current head; appends are serialised, so the chain never forks. */
  append(entry: AuditInput): Promise<AuditEntry>;
  head(): Promise<{ id: number; hash: string } | null>;
  ofPackage(name: string, afterId?: number, limit?: number): Promise<AuditEntry[]>;
  page(afterId?: number, limit?: number): Promise<AuditEntry[]>;
  pageBefore(beforeId: number, limit?: number): Promise<AuditEntry[]>;
  /** The highest id ever handed out (a deleted tail shows as a gap), or null when the backend cannot tell. */
  sequence(): Promise<number | null>;
}

/** Passkeys bound to approvers, and their enrollment links. */
export interface PasskeyPort {
  addEnrollment(e: Omit<StoredEnrollment, 'challenge' | 'usedAt'>): Promise<boolean>;
  enrollment(tokenHash: string): Promise<StoredEnrollment | undefined>;
  setChallenge(tokenHash: string, challenge: string): Promise<boolean>;
  completeEnrollment(
    passkey: NewPasskey,
    challenge: string,
    at: number,
    auditDetail: Record<string, unknown>,
  ): Promise<{ passkey: StoredPasskey; entry: AuditEntry } | undefined>;
  passkey(credentialId: string): Promise<StoredPasskey | undefined>;
  all(): Promise<StoredPasskey[]>;
  remove(credentialId: string, at: number, auditDetail: Record<string, unknown>): Promise<boolean>;
  touch(credentialId: string, counter: number, at: number): Promise<boolean>;
}

/** Webhook events and their deliveries. */
export interface NotificationPort {
  enqueue(change: NotifyChange): Promise<void>;
  waitingEvents(limit?: number): Promise<StoredNotifyEvent[]>;
  fanOut(eventId: number, deliveries: ReadonlyArray<{ endpoint: string; body: string }>, now: number): Promise<void>;
  due(now: number, limit?: number): Promise<Delivery[]>;
  get(eventId: number, endpoint: string): Promise<Delivery | undefined>;
  settle(
    d: Pick<Delivery, 'eventId' | 'endpoint'>,
    status: DeliveryStatus,
    attempts: number,
    nextAt: number,
    error: string | null,
    now: number,
  ): Promise<boolean>;
  counts(): Promise<Record<DeliveryStatus, number>>;
  prune(before: number): Promise<number>;
}

/** Refused requests, tallied per version. */
export interface RefusalPort {
  add(batch: readonly RefusalBatchEntry[]): Promise<void>;
  ofPackage(name: string): Promise<Map<string, RefusalTally>>;
}

/** Upstream absences of versions, confirmed over a window before anything is called withdrawn. */
export interface WithdrawalPort {
  missing(name: string, version: string, now: number, source: string, gapMs: number): Promise<StoredAbsence>;
  of(name: string, version: string): Promise<StoredAbsence | undefined>;
  /** Clears the absences of every version `listed` says upstream lists again. */
  shown(name: string, listed: (version: string) => boolean): Promise<void>;
  hasPending(name: string): Promise<boolean>;
  clear(name: string, version: string, at: number, by: string): Promise<void>;
  lastTransitionCause(name: string, version: string): Promise<string | null>;
}

/** Figures for metrics and readiness. */
export interface OpsPort {
  versionsByState(): Promise<Record<string, number>>;
  /** Reads and writes the store once (readiness); throws when it cannot. */
  probe(now: number): Promise<void>;
}

/**
 * Which packages changed, read from memory so hot paths can key their caches on it without a round trip.
 * SQLite: every connection's writes (a trigger keeps a per-package generation). PostgreSQL: shared across
 * mirrors through LISTEN/NOTIFY, so a decision on one mirror shows on the others within a second.
 */
export interface ChangeFeed {
  /** Changes whenever any version of `name` changes, on any mirror; -1 for a package never seen. */
  generation(name: string): number;
  /**
   * False while changes made elsewhere may be missed (the PostgreSQL listener is down): callers must not
   * trust what they cached, and go to the store (which then fails closed if it is down too).
   */
  readonly live: boolean;
  /** Calls `fn` with a package's name when it changed; returns the unsubscribe. */
  subscribe(fn: (name: string) => void): () => void;
}

/** Every port, bound to one transaction or to the store itself. */
export interface StorePorts {
  readonly versions: VersionPort;
  readonly analyses: AnalysisPort;
  readonly jobs: JobPort;
  readonly approvals: ApprovalPort;
  readonly audit: AuditPort;
  readonly passkeys: PasskeyPort;
  readonly notifications: NotificationPort;
  readonly refusals: RefusalPort;
  readonly withdrawals: WithdrawalPort;
  readonly ops: OpsPort;
}

export type StoreBackend = 'sqlite' | 'postgres';

/** An open store: the ports, atomic units of work across them, change generations, identity and backups. */
export interface Store extends StorePorts {
  readonly backend: StoreBackend;
  readonly changes: ChangeFeed;
  /**
   * Runs `fn` in one serialisable write transaction taken up front: nothing it read can change before it
   * writes, on this mirror or another. Inside, use only `tx`; it rolls back when `fn` throws.
   */
  atomically<T>(fn: (tx: StorePorts) => Promise<T>): Promise<T>;
  /** Records the store's audit head in the data folder's identity, so a rolled-back store is noticed at start. */
  syncIdentity(): Promise<void>;
  readonly identity: DataIdentity;
  /** A consistent online copy of the whole store into `file` (SQLite: a database file; PostgreSQL: a dump file). */
  backup(file: string): Promise<BackupSummary>;
  close(): Promise<void>;
}
