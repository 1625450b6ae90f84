/** The HMAC-SHA256 signature of a notification body, as sent in its header and as a receiver checks it. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying `sha256=<hex HMAC-SHA256 of the exact body bytes>`. */
export const SIGNATURE_HEADER = 'x-cordon-signature-256';
/** The header carrying the delivery id: the same for every retry of one event to one endpoint. */
export const DELIVERY_HEADER = 'x-cordon-delivery';
/** The header naming the event (`held`, `approved`, …). */
export const EVENT_HEADER = 'x-cordon-event';

/** `sha256=<hex>` over `body` with `secret`. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is the signature of `body` under `secret` (constant-time comparison). */
export function verifyBody(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
