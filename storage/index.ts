/** The only place SQL lives: open the database, then read and write through the store. */
export { openDatabase, isStoreUnavailable, StorageError, type Db, type StorageErrorCode } from './database';
export { VersionStore, type JobSpec, type SightingFindings } from './version-store';
export { TransitionWriter, type Transition } from './transitions';
export { AuditLog, auditEntryHash, GENESIS_HASH, type AuditEntry, type AuditInput } from './audit-log';
export { JobStore, type Job, type JobStatus } from './job-store';
export { AnalysisStore, type StoredAnalysis, type StoredFinding } from './analysis-store';
export {
  openDataFolder,
  initFreshStore,
  createFreshStore,
  storedPackageNames,
  readIdentity,
  writeIdentity,
  dataPaths,
  hasStoredData,
  IdentityKeeper,
  DataFolderError,
  type DataIdentity,
  type DataFolderErrorCode,
} from './data-folder';
export { readEarlierStore, type EarlierStore } from './read-store-file';
export { ApprovalStore, readAuditFile, DECISION_CAUSE, type StoredDecision, type NewDecision, type DecisionMethod } from './approval-store';
export {
  PasskeyStore,
  PASSKEY_ENROLLED,
  PASSKEY_REMOVED,
  PASSKEY_AUDIT_PACKAGE,
  type StoredEnrollment,
  type StoredPasskey,
  type NewPasskey,
} from './passkey-store';
export {
  backupStore,
  restoreStore,
  inspectBackup,
  claimDataFolder,
  mirrorRunning,
  BackupError,
  type BackupSummary,
  type BackupErrorCode,
} from './backup';
export {
  NotificationOutbox,
  type Delivery,
  type DeliveryStatus,
  type NotifyFacts,
  type StoredNotifyEvent,
  type NotifyChange,
} from './notification-outbox';
export { RefusalStore, type RefusalTally, type RefusalBatchEntry } from './refusal-store';
export { OpsQueries } from './ops-queries';
export { WithdrawalStore, type StoredAbsence } from './withdrawal-store';
export type {
  Store,
  StorePorts,
  StoreBackend,
  ChangeFeed,
  VersionPort,
  AnalysisPort,
  JobPort,
  ApprovalPort,
  AuditPort,
  PasskeyPort,
  NotificationPort,
  RefusalPort,
  WithdrawalPort,
  OpsPort,
} from './ports';
export { openStore, isPostgresUrl, type StoreSettings } from './open-store';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite';
