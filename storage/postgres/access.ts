/** How the PostgreSQL ports reach the database: the store's pool, or one transaction's client. */
import type { Sql } from './connection';

export interface Access {
  /** A read: on the pool (the latest committed data), or inside the transaction (it sees its own writes). */
  read<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /**
   * A write: one transaction holding the write lock, or inside the current one. `touched` names the
   * packages whose versions (or what decides their visibility) it may change: this mirror's change feed
   * moves for them as soon as it committed, other mirrors' when the notification arrives.
   */
  write<T>(fn: (sql: Sql) => Promise<T>, touched?: readonly string[]): Promise<T>;
}
