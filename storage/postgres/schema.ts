/** The numbered PostgreSQL migrations (free of `pg`, so reading a backup's schema number does not load the driver). */
import * as m0001 from './schema-0001';

export interface PgMigration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export const pgMigrations: readonly PgMigration[] = [{ id: 1, name: '0001-schema', sql: m0001.sql }];
