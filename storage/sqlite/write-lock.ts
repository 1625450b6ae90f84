/** The in-process lock every write to the SQLite writer connection takes, so writes never interleave. */

/** A first-come, first-served async lock: `run(fn)` starts `fn` once every earlier holder has finished. */
export class WriteLock {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` while holding the lock; its rejection reaches the caller, never the next holder. */
  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves once every holder queued so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}
