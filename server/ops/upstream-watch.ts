/**
 * Watches every HTTP request this thread makes to the upstream registry — Verdaccio's uplink (node's
 * http module) and Cordon's own fetches (undici) alike — through node's diagnostics channels, so the
 * metrics and the readiness check see upstream traffic without touching the code that makes it.
 * Analyses on worker threads or BullMQ workers fetch in their own threads and are not counted here.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Clock } from '../clock';
import type { CordonMetrics } from './metrics';

type Kind = 'packument' | 'tarball' | 'other';

interface Started {
  readonly kind: Kind;
  readonly at: number;
}

/** What the channels hand over (only the fields read here are typed). */
interface HttpRequestLike {
  readonly protocol?: string;
  readonly path?: string;
  getHeader?(name: string): unknown;
}
interface UndiciRequestLike {
  readonly origin?: unknown;
  readonly path?: string;
}

export class UpstreamWatch {
  private readonly origin: string;
  private readonly prefix: string;
  private readonly started = new WeakMap<object, Started>();
  private lastAnswer: number | null = null;
  private readonly handlers: Array<[string, (message: unknown) => void]>;

  constructor(
    upstream: string,
    private readonly metrics: CordonMetrics,
    private readonly clock: Clock,
  ) {
    const url = new URL(upstream);
    this.origin = url.origin;
    this.prefix = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
    const handlers: Array<[string, (message: unknown) => void]> = [
      [
        'http.client.request.start',
        (m) => this.track((m as { request: HttpRequestLike }).request, this.httpOrigin((m as { request: HttpRequestLike }).request)),
      ],
      [
        'http.client.response.finish',
        (m) =>
          this.answer(
            (m as { request: object; response: { statusCode?: number } }).request,
            (m as { response: { statusCode?: number } }).response.statusCode ?? 0,
          ),
      ],
      ['http.client.request.error', (m) => this.error((m as { request: object; error: unknown }).request, (m as { error: unknown }).error)],
      [
        'undici:request:create',
        (m) =>
          this.track((m as { request: UndiciRequestLike }).request, String((m as { request: UndiciRequestLike }).request.origin ?? '')),
      ],
      [
        'undici:request:headers',
        (m) => this.answer((m as { request: object }).request, (m as { response: { statusCode?: number } }).response.statusCode ?? 0),
      ],
      ['undici:request:error', (m) => this.error((m as { request: object; error: unknown }).request, (m as { error: unknown }).error)],
    ];
    // A subscriber that throws would surface as an uncaught exception: counting must never do that.
    this.handlers = handlers.map(([name, fn]) => [
      name,
      (m: unknown) => {
        try {
          fn(m);
        } catch {
          // a message of an unexpected shape is not counted
        }
      },
    ]);
  }

  /** Starts watching. */
  watch(): this {
    for (const [name, fn] of this.handlers) subscribe(name, fn);
    return this;
  }

  private track(request: HttpRequestLike | UndiciRequestLike, origin: string): void {
    if (origin !== this.origin) return;
    this.started.set(request, { kind: this.kindOf(request.path ?? '/'), at: performance.now() });
  }

  /** Stops watching. */
  close(): void {
    for (const [name, fn] of this.handlers) unsubscribe(name, fn);
  }

  /** When upstream last answered (clock time), or null when it has not since start. */
  lastAnsweredAt(): number | null {
    return this.lastAnswer;
  }

  private httpOrigin(request: HttpRequestLike): string {
    const host = request.getHeader?.('host');
    return typeof host === 'string' && request.protocol ? `${request.protocol}//${host.toLowerCase()}` : '';
  }

  private kindOf(path: string): Kind {
    const bare = path.split('?')[0]!;
    if (bare.endsWith('.tgz')) return 'tarball';
    const rest = bare.startsWith(this.prefix) ? bare.slice(this.prefix.length) : bare.replace(/^\/+/, '');
    return rest.startsWith('-/') ? 'other' : 'packument';
  }

  private answer(request: object, status: number): void {
    const started = this.started.get(request);
    if (!started) return;
    this.metrics.upstreamRequests.inc({ kind: started.kind, status: String(status) });
    this.metrics.upstreamDuration.observe({ kind: started.kind }, (performance.now() - started.at) / 1000);
    if (status >= 500) this.metrics.upstreamErrors.inc({ kind: started.kind, reason: `http_${status}` });
    // Any answer below 500 (a 404 included) shows that upstream is up and serving.
    else if (status > 0) this.lastAnswer = this.clock.now();
  }

  private error(request: object, err: unknown): void {
    const started = this.started.get(request);
    if (!started) return;
    this.started.delete(request);
    const e = err as { code?: unknown; name?: unknown } | null;
    const reason =
      typeof e?.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(e.code)
        ? e.code
        : typeof e?.name === 'string' && /^[A-Za-z]{1,40}$/.test(e.name)
          ? e.name
          : 'other';
    this.metrics.upstreamErrors.inc({ kind: started.kind, reason });
  }
}
