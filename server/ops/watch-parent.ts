/** Notices that the process that started this one has gone (this process was handed to another parent). */

/** Calls `onGone` once when the parent process changes; checks every `everyMs` without keeping the process alive. */
export function watchParent(onGone: () => void, everyMs = 1_000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
