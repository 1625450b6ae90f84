/** The PostgreSQL backend: several mirrors on one database (CORDON_DATABASE_URL=postgres://…). */
export { openPostgresStore, type PostgresStoreSettings } from './open-postgres-store';
export { isPostgresUnavailable } from './connection';
export { inspectPostgresBackup, isPostgresBackup, readPostgresBackupAudit, BACKUP_FORMAT } from './backup';
export { backupPostgres, readPostgresAudit } from './offline';
export { restorePostgres } from './restore';
