/** The SQLite backend: the embedded default store. */
export { openSqliteStore, type SqliteStoreOptions } from './open-sqlite-store';
