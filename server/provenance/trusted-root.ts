/**
 * The Sigstore public-good trusted root (Fulcio CAs, Rekor and CT log keys) and npm's attestation keys,
 * as embedded in @sigstore/tuf's seed: verification runs offline, against material that ships with
 * the code, never against whatever a network answer says.
 */
import { readFileSync } from 'node:fs';

/** Verification material: a Sigstore trusted root (its JSON form) and the registry's keys by key id. */
export interface ProvenanceTrust {
  readonly trustedRoot: unknown;
  /** Key id → key, for bundles signed by the registry itself (npm's publish attestations). */
  readonly keys: Readonly<Record<string, RegistryKey>>;
}

/** A registry signing key: SPKI DER in base64, and when it was valid (epoch ms). */
export interface RegistryKey {
  readonly publicKey: string;
  readonly validFrom?: number;
  readonly validUntil?: number;
}

interface Seed {
  readonly targets?: Record<string, string>;
}

let cached: ProvenanceTrust | null = null;

/** The embedded public-good trust material (read once). */
export function publicGoodTrust(): ProvenanceTrust {
  if (cached) return cached;
  const seeds = JSON.parse(readFileSync(require.resolve('@sigstore/tuf/seeds.json'), 'utf8')) as Record<string, Seed>;
  const seed = seeds['https://tuf-repo-cdn.sigstore.dev'];
  const target = (name: string): unknown => {
    const raw = seed?.targets?.[name];
    if (typeof raw !== 'string') throw new Error(`the embedded Sigstore seed has no ${name}; reinstall @sigstore/tuf`);
    return JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  };
  const npmKeys = target('registry.npmjs.org%2Fkeys.json') as {
    keys?: Array<{ keyId?: string; publicKey?: { rawBytes?: string; validFor?: { start?: string; end?: string } } }>;
  };
  const keys: Record<string, RegistryKey> = {};
  for (const k of npmKeys.keys ?? []) {
    if (!k.keyId || !k.publicKey?.rawBytes) continue;
    const { start, end } = k.publicKey.validFor ?? {};
    keys[k.keyId] = {
      publicKey: k.publicKey.rawBytes,
      ...(start ? { validFrom: Date.parse(start) } : {}),
      ...(end ? { validUntil: Date.parse(end) } : {}),
    };
  }
  cached = Object.freeze({ trustedRoot: target('trusted_root.json'), keys: Object.freeze(keys) });
  return cached;
}
