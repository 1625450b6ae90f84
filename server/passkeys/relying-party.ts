/**
 * Where passkeys work: WebAuthn binds a passkey to one origin and relying-party id, and browsers allow
 * it only on https or http://localhost. `publicUrl` is that origin; without a usable one passkeys are off
 * and the page says why.
 */
import { isIP } from 'node:net';

export type RelyingParty =
  | { readonly enabled: true; readonly origin: string; readonly rpId: string }
  | { readonly enabled: false; readonly reason: string };

const isLocalhost = (host: string): boolean => host === 'localhost' || host.endsWith('.localhost');

/** The relying party for `publicUrl` (null: not configured). */
export function relyingParty(publicUrl: string | null): RelyingParty {
  if (!publicUrl) {
    return {
      enabled: false,
      reason:
        'Passkeys are off: the mirror has no publicUrl (CORDON_PUBLIC_URL). A passkey belongs to one web address, so the operator must set publicUrl to the https address people open this page at.',
    };
  }
  const url = new URL(publicUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host))
    return {
      enabled: false,
      reason: `Passkeys are off: publicUrl (${url.origin}) is an IP address, and browsers bind passkeys only to host names. Set publicUrl to a host name.`,
    };
  if (url.protocol !== 'https:' && !isLocalhost(host)) {
    return {
      enabled: false,
      reason: `Passkeys are off: publicUrl (${url.origin}) is not https, and browsers allow passkeys only on https (or http://localhost). Serve the mirror over https (the tls setting, or a TLS proxy) and set publicUrl to the https address.`,
    };
  }
  return { enabled: true, origin: url.origin, rpId: host };
}
