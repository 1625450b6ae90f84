/**
 * What an operator watches a mirror by, built once per runtime: metrics, refusal counts, the upstream
 * watch and the readiness check.
 */
import type { CordonConfig } from '../config';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { decide } from '../policy/lifecycle';
import type { StorePorts } from '../../storage/ports';
import type { QuarantineService } from '../quarantine/quarantine-service';
import { redisProbe, type RedisProbe } from '../pipeline/bullmq-connection';
import { CordonMetrics } from './metrics';
import { RefusalRecorder } from './refusal-recorder';
import { ReadinessCheck } from './readiness';
import { UpstreamWatch } from './upstream-watch';

export interface Operations {
  readonly metrics: CordonMetrics;
  /** Refusals counted per version. */
  readonly refusals: RefusalRecorder;
  /** Upstream traffic, for metrics and readiness. */
  readonly upstream: UpstreamWatch;
  readonly readiness: ReadinessCheck;
  /** True once a stop has begun: readiness then fails, so load balancers move away. */
  readonly stopping: boolean;
  /** Marks the mirror as stopping. */
  beginStop(): void;
  /** Stops the watches and writes the last refusal counts. */
  close(): Promise<void>;
}

export interface OperationsDeps {
  readonly config: CordonConfig;
  readonly store: Pick<StorePorts, 'versions' | 'ops' | 'notifications' | 'refusals'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly quarantine: Pick<QuarantineService, 'ruleFor'>;
}

/** Builds the operations of one runtime. */
export function createOperations(deps: OperationsDeps): Operations {
  const { config, clock, store, quarantine } = deps;
  const metrics = new CordonMetrics({
    versionsByState: () => store.ops.versionsByState(),
    waiting: async () => {
      const now = clock.now();
      const out: Array<{ state: string; ageMs: number }> = [];
      const [quarantined, held] = await Promise.all([
        store.versions.versionsInState('quarantined'),
        store.versions.versionsInState('held'),
      ]);
      for (const record of [...quarantined, ...held]) {
        const decision = decide(record, quarantine.ruleFor(record.package), now);
        if (!decision.visible) out.push({ state: decision.state, ageMs: Math.max(0, now - record.firstSeenAt) });
      }
      return out;
    },
    notificationDeliveries: () => store.notifications.counts(),
  });
  const upstream = new UpstreamWatch(config.upstream, metrics, clock).watch();
  let redis: RedisProbe | null = null;
  let stopping = false;
  const readiness = new ReadinessCheck({
    clock,
    probeStore: (now) => store.ops.probe(now),
    dataDir: config.dataDir,
    upstream: { url: config.upstream, lastAnsweredAt: () => upstream.lastAnsweredAt() },
    redis: config.redisUrl
      ? (timeoutMs) => {
          redis ??= redisProbe(config.redisUrl!);
          return redis.ping(timeoutMs);
        }
      : null,
    stopping: () => stopping,
  });
  const refusals = new RefusalRecorder(store.refusals, deps.logger);
  return {
    metrics,
    refusals,
    upstream,
    readiness,
    get stopping() {
      return stopping;
    },
    beginStop() {
      stopping = true;
    },
    async close() {
      upstream.close();
      metrics.close();
      void redis?.close();
      // A failed write is logged by the recorder; the counts are lost with the process, nothing else is.
      await refusals.close();
    },
  };
}
