/** Times packument, single-version and tarball requests for the latency histogram: a URL parse, a clock read and one listener per request. */
import type { Request, Response } from 'express';
import type { CordonMetrics } from '../ops/metrics';
import { statusClass } from '../ops/metrics';
import { MALFORMED, parsePackagePath } from './request-path';

/** Observes a registry read's time to its last byte (or to a broken connection: status `aborted`); other requests are not timed. */
export function timeRequest(req: Request, res: Response, metrics: CordonMetrics): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return;
  const parsed = parsePackagePath(req.originalUrl ?? req.url);
  if (parsed === null || parsed === MALFORMED) return;
  const started = performance.now();
  const kind = parsed.kind;
  res.once('close', () => {
    metrics.requestDuration.observe(
      { kind, status: res.writableFinished ? statusClass(res.statusCode) : 'aborted' },
      (performance.now() - started) / 1000,
    );
  });
}
