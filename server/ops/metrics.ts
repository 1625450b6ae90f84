/**
 * The mirror's Prometheus metrics (prom-client), in one registry per runtime. Counters and histograms
 * are bumped where things happen (a few microseconds, no I/O); gauges over the store are computed only
 * when Prometheus scrapes `/-/cordon/metrics`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from './process-metrics';

/** What the scrape-time gauges read. */
export interface ScrapeSources {
  /** Versions in each state. */
  versionsByState(): Promise<Record<string, number>>;
  /** Hidden versions waiting for time, analysis or a person: state and how long since first seen. */
  waiting(): Promise<ReadonlyArray<{ readonly state: string; readonly ageMs: number }>>;
  /** Notification deliveries in each status. */
  notificationDeliveries(): Promise<Record<string, number>>;
}

/** Jobs in each status of the analysis queue, by the runner that keeps them. */
export type QueueDepth = () => Promise<Record<string, number>>;

const HOUR = 3_600_000;
/** Age bands of the waiting queue: upper bound and label. */
export const WAITING_AGES: ReadonlyArray<readonly [number, string]> = [
  [HOUR, '<1h'],
  [6 * HOUR, '1h-6h'],
  [24 * HOUR, '6h-1d'],
  [72 * HOUR, '1d-3d'],
  [168 * HOUR, '3d-7d'],
  [Number.POSITIVE_INFINITY, '>7d'],
];
const WAITING_STATES = ['quarantined', 'held'];

/** The label of an age in the waiting queue. */
export function waitingAge(ageMs: number): string {
  return WAITING_AGES.find(([limit]) => ageMs < limit)![1];
}

/** `2xx`, `3xx`, … for a status code. */
export const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

export class CordonMetrics {
  readonly registry = new Registry();
  /** 403s for hidden versions, by refusal code. */
  readonly refusals: Counter<'code'>;
  /** Signed decisions submitted, by method (ssh, passkey), decision and outcome (accepted or the refusal code). */
  readonly decisions: Counter<'method' | 'decision' | 'outcome'>;
  /** Analyses recorded, by outcome (clean, flagged, failed). */
  readonly analyses: Counter<'outcome'>;
  readonly analysisDuration: Histogram<'outcome'>;
  /** Latency of packument, version-manifest and tarball requests, by kind and status class. */
  readonly requestDuration: Histogram<'kind' | 'status'>;
  /** Requests to the upstream registry that got an answer, by kind and status code. */
  readonly upstreamRequests: Counter<'kind' | 'status'>;
  /** Upstream requests that failed (no answer, or a 5xx), by kind and reason. */
  readonly upstreamErrors: Counter<'kind' | 'reason'>;
  readonly upstreamDuration: Histogram<'kind'>;
  /** Notification attempts by endpoint name, event and outcome (delivered, retry, failed, dropped). */
  readonly notifications: Counter<'endpoint' | 'event' | 'outcome'>;
  private queueDepth: { runner: string; read: QueueDepth } | null = null;

  constructor(sources: ScrapeSources, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.refusals = new Counter({
      name: 'cordon_refusals_total',
      help: 'Requests refused with 403 because the version is hidden, by refusal code.',
      labelNames: ['code'],
      registers,
    });
    this.decisions = new Counter({
      name: 'cordon_decisions_total',
      help: 'Signed decisions submitted, by method, decision and outcome (accepted, or the refusal code).',
      labelNames: ['method', 'decision', 'outcome'],
      registers,
    });
    this.analyses = new Counter({
      name: 'cordon_analyses_total',
      help: 'Analyses recorded, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.analysisDuration = new Histogram({
      name: 'cordon_analysis_duration_seconds',
      help: 'Time one analysis took (fetch, unpack, diff), by outcome.',
      labelNames: ['outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'cordon_http_request_duration_seconds',
      help: 'Latency of packument, version and tarball requests, by kind and status class.',
      labelNames: ['kind', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.upstreamRequests = new Counter({
      name: 'cordon_upstream_requests_total',
      help: 'Requests to the upstream registry that got an answer, by kind and status code.',
      labelNames: ['kind', 'status'],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'cordon_upstream_errors_total',
      help: 'Upstream requests that failed (no answer, or a 5xx answer), by kind and reason.',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'cordon_upstream_request_duration_seconds',
      help: 'Time to an upstream answer (headers), by kind.',
      labelNames: ['kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.notifications = new Counter({
      name: 'cordon_notifications_total',
      help: 'Notification delivery attempts, by endpoint name, event and outcome.',
      labelNames: ['endpoint', 'event', 'outcome'],
      registers,
    });

    new Gauge({
      name: 'cordon_versions',
      help: 'Versions known to the mirror, by state.',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await sources.versionsByState();
        this.reset();
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    // One read of the waiting queue per scrape, shared by both gauges over it: the queue gauge starts it
    // (the registry collects in registration order) and the oldest-age gauge waits for the same answer.
    let waitingRead: Promise<ReadonlyArray<{ readonly state: string; readonly ageMs: number }>> | null = null;
    new Gauge({
      name: 'cordon_waiting_versions',
      help: 'Hidden versions waiting for their cooldown, analysis or a person, by state and time since first seen.',
      labelNames: ['state', 'age'],
      registers,
      async collect() {
        waitingRead = sources.waiting();
        const read = waitingRead;
        const counts = new Map<string, number>();
        for (const { state, ageMs } of await read) {
          const key = `${state}\0${waitingAge(ageMs)}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        this.reset();
        for (const state of WAITING_STATES)
          for (const [, age] of WAITING_AGES) this.set({ state, age }, counts.get(`${state}\0${age}`) ?? 0);
      },
    });
    new Gauge({
      name: 'cordon_waiting_oldest_seconds',
      help: 'Age of the oldest hidden version still waiting, by state (0 when none waits).',
      labelNames: ['state'],
      registers,
      async collect() {
        const read = waitingRead ?? sources.waiting();
        waitingRead = null;
        const maxAge = new Map<string, number>(WAITING_STATES.map((s) => [s, 0]));
        for (const { state, ageMs } of await read) maxAge.set(state, Math.max(maxAge.get(state) ?? 0, ageMs));
        this.reset();
        for (const [state, ms] of maxAge) this.set({ state }, ms / 1000);
      },
    });
    const metrics = this;
    new Gauge({
      name: 'cordon_analysis_jobs',
      help: 'Analysis jobs by runner (embedded, bullmq) and status.',
      labelNames: ['runner', 'status'],
      registers,
      async collect() {
        this.reset();
        const depth = metrics.queueDepth;
        if (!depth) return;
        for (const [status, n] of Object.entries(await depth.read())) this.set({ runner: depth.runner, status }, n);
      },
    });
    new Gauge({
      name: 'cordon_notification_deliveries',
      help: 'Notification deliveries in the outbox, by status.',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await sources.notificationDeliveries();
        this.reset();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    if (options.processMetrics !== false) this.stopProcessMetrics = registerProcessMetrics(this.registry);
  }

  private readonly stopProcessMetrics: () => void = () => {};

  /** Stops what the process metrics keep running (the event-loop monitor). */
  close(): void {
    this.stopProcessMetrics();
  }

  /** Names the analysis queue whose depth the scrape reports. */
  watchQueue(runner: string, read: QueueDepth): void {
    this.queueDepth = { runner, read };
  }

  /** The text Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
