/** The only place SQL lives: open the database, then read and write through the store. */
export { openDatabase, StorageError, type Db, type StorageErrorCode } from './database';
export { VersionStore, type JobSpec } from './version-store';
export { TransitionWriter, type Transition } from './transitions';
export { AuditLog, auditEntryHash, GENESIS_HASH, type AuditEntry, type AuditInput } from './audit-log';
export { JobStore, type Job, type JobStatus } from './job-store';
export { AnalysisStore, type StoredAnalysis, type StoredFinding } from './analysis-store';
export { ApprovalStore, readAuditFile, DECISION_CAUSE, type StoredDecision, type NewDecision } from './approval-store';
export { NotificationOutbox, type Delivery, type DeliveryStatus, type NotifyFacts, type StoredNotifyEvent, type NotifyChange } from './notification-outbox';
export { RefusalStore, type RefusalTally, type RefusalBatchEntry } from './refusal-store';
export { OpsQueries } from './ops-queries';
