/** Which PostgreSQL faults mean "the store cannot be used right now"; free of `pg`, so the SQLite default can ask without loading it. */

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/**
 * True when `err` is PostgreSQL (or the way to it) saying the store cannot be used right now: no
 * connection (refused, reset, terminated, timed out), the server shutting down or starting (57P0x),
 * a connection exception (08xxx), out of resources (53xxx: disk full, too many connections), a lock
 * not granted in time (55P03), or a read-only server (25006, a standby after a failover).
 */
export function isPostgresUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code)) return true;
    if (/^(08...|57P0[1-4]|53...|55P03|25006)$/.test(code)) return true;
  }
  const text = typeof message === 'string' ? message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed|Cannot use a pool after calling end|terminating connection|Query read timeout/i.test(
    text,
  );
}

/**
 * The same, narrowed to what only PostgreSQL raises (a server error with a SQLSTATE, or `pg`'s own
 * connection messages): for code that also sees other faults, where a bare ECONNRESET may be upstream's.
 */
export function isPostgresFault(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, severity, message } = err as { code?: unknown; severity?: unknown; message?: unknown };
  if (typeof severity === 'string' && typeof code === 'string') return /^(08...|57P0[1-4]|53...|55P03|25006)$/.test(code);
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|Query read timeout/.test(
      message,
    )
  );
}
