/**
 * What an operator watches a mirror by, built once per runtime: metrics, refusal counts, the upstream
 * watch, the readiness check and the notification outbox.
 */
import type { CordonConfig } from '../config';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { decide } from '../policy/lifecycle';
import { NotificationOutbox, OpsQueries, RefusalStore, type Db, type VersionStore } from '../../storage';
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
  readonly outbox: NotificationOutbox;
  /** True once a stop has begun: readiness then fails, so load balancers move away. */
  readonly stopping: boolean;
  /** Marks the mirror as stopping. */
  beginStop(): void;
  close(): void;
}

export interface OperationsDeps {
  readonly config: CordonConfig;
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: VersionStore;
  readonly quarantine: QuarantineService;
}

/** Builds the operations of one runtime. */
export function createOperations(deps: OperationsDeps): Operations {
  const { config, db, clock, store, quarantine } = deps;
  const queries = new OpsQueries(db);
  const outbox = new NotificationOutbox(db);
  const metrics = new CordonMetrics({
    versionsByState: () => queries.versionsByState(),
    waiting: () => {
      const now = clock.now();
      const out: Array<{ state: string; ageMs: number }> = [];
      for (const record of [...store.versionsInState('quarantined'), ...store.versionsInState('held')]) {
        const decision = decide(record, quarantine.ruleFor(record.package), now);
        if (!decision.visible) out.push({ state: decision.state, ageMs: Math.max(0, now - record.firstSeenAt) });
      }
      return out;
    },
    notificationDeliveries: () => outbox.counts(),
  });
  const upstream = new UpstreamWatch(config.upstream, metrics, clock).watch();
  let redis: RedisProbe | null = null;
  let stopping = false;
  const readiness = new ReadinessCheck({
    clock,
    probeStore: (now) => queries.probe(now),
    dataDir: config.dataDir,
    upstream: { url: config.upstream, lastAnsweredAt: () => upstream.lastAnsweredAt() },
    redis: config.redisUrl ? (timeoutMs) => (redis ??= redisProbe(config.redisUrl!)).ping(timeoutMs) : null,
    stopping: () => stopping,
  });
  const refusals = new RefusalRecorder(new RefusalStore(db), deps.logger);
  return {
    metrics,
    refusals,
    upstream,
    readiness,
    outbox,
    get stopping() {
      return stopping;
    },
    beginStop() {
      stopping = true;
    },
    close() {
      upstream.close();
      metrics.close();
      void redis?.close();
      try {
        refusals.close();
      } catch (err) {
        deps.logger.error({ err: (err as Error).message }, 'cordon: cannot write the last refusal counts');
      }
    },
  };
}
