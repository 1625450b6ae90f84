/** The only place SQL lives: open the database, then read and write through the store. */
export { openDatabase, StorageError, type Db, type StorageErrorCode } from './database';
export { VersionStore, type Transition, type AuditEntry } from './version-store';
