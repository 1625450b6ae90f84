/**
 * What happens besides the 403 when a hidden version is asked for: one log line (package, version,
 * state, client, address, request id) at warn, so the default level shows which builds tried to pull
 * it; a count in the metrics; and a tally on the version for its page.
 */
import type { Request } from 'express';
import type { CordonRuntime } from '../assemble';
import type { Logger } from '../logger';
import type { RefusalBody } from '../quarantine/refusal';
import { cleanUserAgent } from '../ops/refusal-recorder';
import { requestIdOf } from './request-id';

const clip = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value !== '' ? value.slice(0, max) : undefined;

/** Records a refusal; never throws (the refusal itself must go out whatever happens here). */
export function noteRefusal(runtime: Pick<CordonRuntime, 'ops' | 'clock'>, logger: Logger, req: Request, body: RefusalBody): void {
  try {
    const userAgent = cleanUserAgent(req.headers['user-agent']);
    runtime.ops.metrics.refusals.inc({ code: body.code });
    runtime.ops.refusals.add(body.package, body.version, runtime.clock.now(), userAgent);
    logger.warn(
      {
        event: 'refusal',
        reqId: requestIdOf(req),
        package: body.package,
        version: body.version,
        state: body.state,
        code: body.code,
        userAgent,
        address: req.socket?.remoteAddress,
        forwardedFor: clip(req.headers['x-forwarded-for'], 200),
        method: req.method,
        url: clip(req.originalUrl ?? req.url, 512),
      },
      `cordon: refused ${body.package}@${body.version} (${body.state})`,
    );
  } catch {
    // Counting is secondary to refusing.
  }
}
