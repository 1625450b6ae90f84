/**
 * What both store backends guard alike: a write through the store from inside its own `atomically`
 * (it would wait for itself forever), a port of a transaction used after it ended, and a closed store.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { StorageError } from './database';

/** The transaction the current async context runs in, if any. */
export interface TxScope {
  readonly owner: object;
  open: boolean;
}
const txScope = new AsyncLocalStorage<TxScope>();

/** Runs `fn` as the body of `scope`'s transaction; the caller closes the scope when the body is done. */
export function runInScope<T>(scope: TxScope, fn: () => T): T {
  return txScope.run(scope, fn);
}

/** Why a write through `owner` must not start now: it is closed, or this is its own transaction's context. */
export function refusal(owner: object, closed: boolean, what: string): StorageError | null {
  if (closed) return closedError();
  const scope = txScope.getStore();
  if (scope?.open && scope.owner === owner) {
    return new StorageError(
      'STORE_NESTED_WRITE',
      `A ${what} through the store was made from inside its own atomically(): it would wait for that transaction forever. Inside atomically(fn), write through the \`tx\` ports fn receives.`,
    );
  }
  return null;
}

/** Throws when a port of `scope`'s transaction is used after the transaction ended. */
export function assertScopeOpen(scope: TxScope): void {
  if (!scope.open)
    throw new StorageError(
      'STORE_NESTED_WRITE',
      'This transaction has ended (its function returned or threw); a port of it was used afterwards. Use the store, or a new atomically().',
    );
}

export function closedError(): StorageError {
  return new StorageError(
    'STORE_UNAVAILABLE',
    'The store is closed (the mirror is stopping); nothing was read or changed. Try again once it has restarted.',
  );
}
