/** The browser side of passkeys: JSON options in, JSON credentials out (binary fields base64url). */

export type RelyingParty = { enabled: true; origin: string; rpId: string } | { enabled: false; reason: string };

export function toB64u(buf: ArrayBuffer): string {
  let s = '';
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64u(text: string): ArrayBuffer {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out.buffer;
}

/** Null when passkeys can be used on this page; otherwise why not, in words. */
export function passkeysUnavailable(rp: RelyingParty): string | null {
  if (!rp.enabled) return rp.reason;
  if (!window.isSecureContext)
    return `Passkeys are off: this page was opened over plain http at ${location.origin}, and browsers allow passkeys only on https (or http://localhost).`;
  if (location.origin !== rp.origin)
    return `Passkeys are off here: this mirror's passkeys belong to ${rp.origin}, but this page is ${location.origin}. Open the page at ${rp.origin}.`;
  if (typeof PublicKeyCredential === 'undefined' || !navigator.credentials) return 'Passkeys are off: this browser does not support them.';
  return null;
}

export interface AssertionOptions {
  challenge: string;
  rpId: string;
  allowCredentials: Array<{ id: string; type: 'public-key'; transports: string[] }>;
  userVerification: 'required';
  timeout: number;
}

/** Signs `options.challenge` with a passkey, user verification required. */
export async function getAssertion(o: AssertionOptions): Promise<Record<string, unknown>> {
  const cred = (await navigator.credentials.get({
    publicKey: {
      challenge: fromB64u(o.challenge),
      rpId: o.rpId,
      userVerification: 'required',
      timeout: o.timeout,
      allowCredentials: o.allowCredentials.map((c) => ({
        id: fromB64u(c.id),
        type: 'public-key',
        transports: c.transports as AuthenticatorTransport[],
      })),
    },
  })) as PublicKeyCredential | null;
  if (!cred) throw new Error('No passkey was used.');
  const r = cred.response as AuthenticatorAssertionResponse;
  return {
    id: cred.id,
    rawId: toB64u(cred.rawId),
    type: cred.type,
    clientExtensionResults: {},
    response: {
      authenticatorData: toB64u(r.authenticatorData),
      clientDataJSON: toB64u(r.clientDataJSON),
      signature: toB64u(r.signature),
      ...(r.userHandle ? { userHandle: toB64u(r.userHandle) } : {}),
    },
  };
}

interface CreationOptionsJSON {
  rp: { name: string; id?: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: Array<{ type: 'public-key'; alg: number }>;
  timeout?: number;
  excludeCredentials?: Array<{ id: string; type: 'public-key'; transports?: string[] }>;
  authenticatorSelection?: AuthenticatorSelectionCriteria;
  attestation?: AttestationConveyancePreference;
}

/** Creates a passkey from the mirror's registration options. */
export async function createCredential(o: CreationOptionsJSON): Promise<Record<string, unknown>> {
  const cred = (await navigator.credentials.create({
    publicKey: {
      rp: o.rp,
      user: { ...o.user, id: fromB64u(o.user.id) },
      challenge: fromB64u(o.challenge),
      pubKeyCredParams: o.pubKeyCredParams,
      timeout: o.timeout,
      excludeCredentials: (o.excludeCredentials ?? []).map((c) => ({
        id: fromB64u(c.id),
        type: 'public-key',
        transports: c.transports as AuthenticatorTransport[] | undefined,
      })),
      authenticatorSelection: { ...o.authenticatorSelection, userVerification: 'required' },
      attestation: o.attestation ?? 'none',
    },
  })) as PublicKeyCredential | null;
  if (!cred) throw new Error('No passkey was created.');
  const r = cred.response as AuthenticatorAttestationResponse;
  return {
    id: cred.id,
    rawId: toB64u(cred.rawId),
    type: cred.type,
    clientExtensionResults: {},
    response: {
      attestationObject: toB64u(r.attestationObject),
      clientDataJSON: toB64u(r.clientDataJSON),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    },
  };
}
