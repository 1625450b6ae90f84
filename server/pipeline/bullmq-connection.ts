/** Redis connections for BullMQ, made in one place. */
import IORedis from 'ioredis';

/** A connection BullMQ can block on (it requires `maxRetriesPerRequest: null`). */
export function redisConnection(url: string): IORedis {
  return new IORedis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}
