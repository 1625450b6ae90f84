/**
 * Delivers the notification outbox: fans each event out to the endpoints that want it, then POSTs each
 * delivery, signed, with its id, retrying with backoff until it is delivered or fails for good. Runs off
 * the request path: attempts are asynchronous, bounded in time and number, and one slow endpoint only
 * holds up its own deliveries.
 */
import type { CordonConfig, NotifyEndpoint } from '../config';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Delivery, StoredNotifyEvent } from '../../storage';
import type { NotificationPort } from '../../storage/ports';
import { mirrorBaseUrl, reviewUrl } from '../http/links';
import { notificationDocument, slackMessage } from './payload';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signBody } from './signature';

/** How a delivery attempt ended, for metrics. */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'dropped';

export interface NotifierDeps {
  readonly config: Pick<CordonConfig, 'notify' | 'publicUrl' | 'host' | 'port'>;
  readonly outbox: NotificationPort;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told about every attempt's outcome (metrics). */
  readonly onOutcome?: (endpoint: string, event: string, outcome: DeliveryOutcome) => void;
}

/** Attempts per delivery before it fails for good. */
export const MAX_ATTEMPTS = 10;
const BASE_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 3_600_000;
const MAX_IN_FLIGHT = 8;
const POLL_MS = 1_000;
const KEEP_MS = 7 * 24 * 3_600_000;

/** Wait before attempt `attempts + 1` after `attempts` failed ones: 10s, 20s, 40s … capped at an hour. */
export function retryDelayMs(attempts: number, retryAfterMs: number | null = null): number {
  const backoff = Math.min(BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
  return retryAfterMs === null ? backoff : Math.min(Math.max(backoff, retryAfterMs), MAX_BACKOFF_MS);
}

/** Reads a Retry-After header given in seconds (dates are ignored: the backoff applies). */
function retryAfter(header: string | null): number | null {
  return header && /^\d{1,6}$/.test(header.trim()) ? Number(header.trim()) * 1000 : null;
}

export class Notifier {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastPrune = Number.NEGATIVE_INFINITY;
  private readonly busy = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly endpoints: ReadonlyMap<string, NotifyEndpoint>;
  /** The tick running now: ticks never overlap, so a due delivery is launched once. */
  private ticking: Promise<void> | null = null;
  private tickAgain = false;

  constructor(private readonly deps: NotifierDeps) {
    this.endpoints = new Map(deps.config.notify.map((e) => [e.key, e]));
  }

  /** Starts polling the outbox. */
  start(): void {
    this.schedule(0);
  }

  /** Fans out waiting events and attempts every due delivery, until none is due (tests). */
  async runNow(): Promise<void> {
    for (;;) {
      await this.tick();
      if (this.inflight.size === 0) return;
      await Promise.allSettled([...this.inflight]);
    }
  }

  /** Stops taking deliveries and abandons the attempts in flight: they stay pending and are sent again, same id, at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.ticking;
    await Promise.allSettled([...this.inflight]);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule(POLL_MS));
    }, ms);
    this.timer.unref();
  }

  /** One pass over the outbox; a pass asked for while one runs runs right after it. Never rejects. */
  private tick(): Promise<void> {
    // biome-ignore lint/nursery/noMisusedPromises: `ticking` is Promise | null: this tests whether a pass runs, not its result.
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    const run = (async () => {
      do {
        this.tickAgain = false;
        await this.pass();
      } while (this.tickAgain && !this.stopped);
    })().finally(() => {
      this.ticking = null;
    });
    this.ticking = run;
    return run;
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    try {
      for (const event of await this.deps.outbox.waitingEvents()) await this.fanOut(event, now);
      if (now - this.lastPrune > 3_600_000) {
        this.lastPrune = now;
        await this.deps.outbox.prune(now - KEEP_MS);
      }
      for (const delivery of await this.deps.outbox.due(now)) {
        if (this.stopped) break;
        if (this.inflight.size >= MAX_IN_FLIGHT) break;
        if (this.busy.has(delivery.endpoint)) continue; // one attempt per endpoint at a time: a slow one holds up only itself
        this.launch(delivery);
      }
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message }, 'cordon: cannot read the notification outbox');
    }
  }

  private fanOut(event: StoredNotifyEvent, now: number): Promise<void> {
    const url = reviewUrl(mirrorBaseUrl(this.deps.config), event.package, event.version);
    const deliveries = [...this.endpoints.values()]
      .filter((e) => (e.events as readonly string[]).includes(event.event))
      .map((e) => ({
        endpoint: e.key,
        body: JSON.stringify(e.format === 'slack' ? slackMessage(event, url) : notificationDocument(event, url)),
      }));
    return this.deps.outbox.fanOut(event.id, deliveries, now);
  }

  private launch(delivery: Delivery): void {
    this.busy.add(delivery.endpoint);
    const p = this.attempt(delivery)
      .catch((err: unknown) =>
        this.deps.logger.error({ err: (err as Error).message, delivery: delivery.uid }, 'cordon: cannot record a notification attempt'),
      )
      .finally(() => {
        this.busy.delete(delivery.endpoint);
        this.inflight.delete(p);
        if (!this.stopped) setImmediate(() => void this.tick());
      });
    this.inflight.add(p);
  }

  private async attempt(d: Delivery): Promise<void> {
    const { outbox, clock, logger, onOutcome } = this.deps;
    const endpoint = this.endpoints.get(d.endpoint);
    if (!endpoint) {
      await outbox.settle(d, 'failed', d.attempts, d.nextAt, 'the endpoint is no longer configured', clock.now());
      logger.warn({ delivery: d.uid, event: d.event }, 'cordon: dropped a notification: its endpoint was removed from notify');
      onOutcome?.('(removed)', d.event, 'dropped');
      return;
    }
    const attempts = d.attempts + 1;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'cordon-notify/1',
      [DELIVERY_HEADER]: d.uid,
      [EVENT_HEADER]: d.event,
      'x-cordon-attempt': String(attempts),
    };
    if (endpoint.secret !== null) headers[SIGNATURE_HEADER] = signBody(endpoint.secret, d.body);
    let error: string;
    let wait: number | null = null;
    try {
      const res = await fetch(endpoint.url, {
        method: 'POST',
        headers,
        body: d.body,
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(endpoint.timeoutMs)]),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        await outbox.settle(d, 'delivered', attempts, d.nextAt, null, clock.now());
        onOutcome?.(endpoint.name, d.event, 'delivered');
        return;
      }
      error = `the endpoint answered ${res.status}`;
      wait = retryAfter(res.headers.get('retry-after'));
      if (res.status === 410) return this.giveUp(d, endpoint, attempts, `${error} (gone)`);
    } catch (err) {
      if (this.stopped) return; // abandoned by stop(): still pending, sent again at the next start
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      error =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${endpoint.timeoutMs} ms`
          : `cannot reach the endpoint (${cause ?? (err as Error).message})`;
    }
    if (attempts >= MAX_ATTEMPTS) return this.giveUp(d, endpoint, attempts, error);
    const delay = retryDelayMs(attempts, wait);
    await outbox.settle(d, 'pending', attempts, clock.now() + delay, error, clock.now());
    onOutcome?.(endpoint.name, d.event, 'retry');
    logger.info(
      {
        endpoint: endpoint.name,
        delivery: d.uid,
        event: d.event,
        package: d.package,
        version: d.version,
        attempt: attempts,
        retryInMs: delay,
        err: error,
      },
      'cordon: notification not delivered, will retry',
    );
  }

  private async giveUp(d: Delivery, endpoint: NotifyEndpoint, attempts: number, error: string): Promise<void> {
    await this.deps.outbox.settle(d, 'failed', attempts, d.nextAt, error, this.deps.clock.now());
    this.deps.onOutcome?.(endpoint.name, d.event, 'failed');
    this.deps.logger.error(
      { endpoint: endpoint.name, delivery: d.uid, event: d.event, package: d.package, version: d.version, attempts, err: error },
      'cordon: notification failed for good',
    );
  }
}
