/** Redis connections for BullMQ, made in one place. */
import IORedis from 'ioredis';

/** A connection BullMQ can block on (it requires `maxRetriesPerRequest: null`). */
export function redisConnection(url: string): IORedis {
  return new IORedis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

/** A connection that only answers whether Redis is reachable now: it never queues a command while disconnected. */
export interface RedisProbe {
  /** Resolves when Redis answers PING within `timeoutMs`; rejects with the reason otherwise. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A lazily connected probe of the Redis at `url` (readiness checks). */
export function redisProbe(url: string): RedisProbe {
  const conn = new IORedis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  let lastError: string | null = null;
  // Without a listener ioredis prints every connection error; the reason is reported by ping instead.
  conn.on('error', (err: Error) => {
    lastError = err.message;
  });
  return {
    async ping(timeoutMs) {
      if (conn.status === 'wait') conn.connect().catch(() => undefined);
      if (conn.status !== 'ready') {
        // Give a connection being made a moment; a broken one fails at once.
        if (conn.status === 'connecting' || conn.status === 'connect')
          await Promise.race([new Promise((r) => conn.once('ready', r)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
        if ((conn.status as string) !== 'ready')
          throw new Error(`Redis is not reachable (${conn.status}${lastError ? `: ${lastError}` : ''})`);
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          conn.ping(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`within ${timeoutMs} ms`)), timeoutMs))),
        ]);
      } catch (err) {
        throw new Error(`Redis did not answer PING (${(err as Error).message})`);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      conn.disconnect();
    },
  };
}
