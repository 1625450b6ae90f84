/**
 * One digest per version. At first sight Cordon pins the strongest digest upstream gives for a version's
 * tarball; every byte it analyses or serves is checked against that one digest. An integrity string
 * with two different digests of its strongest algorithm (`sha512-<B> sha512-<M>`) would let one set of
 * bytes be analysed and another served, so it pins nothing: the version is refused.
 */
import { createHash, type Hash } from 'node:crypto';

/** The algorithms Cordon reads, strongest first; anything else in an integrity string is ignored (as SRI says). */
export const DIGEST_ALGORITHMS = ['sha512', 'sha384', 'sha256', 'sha1'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const DIGEST_BYTES: Record<DigestAlgorithm, number> = { sha512: 64, sha384: 48, sha256: 32, sha1: 20 };

/** A pinned digest: `<algorithm>-<base64>`, exactly as SRI writes one. */
export interface PinnedDigest {
  readonly algorithm: DigestAlgorithm;
  /** Base64 of the digest bytes. */
  readonly base64: string;
  /** `<algorithm>-<base64>`. */
  readonly sri: string;
}

/** What pinning a version's `dist` gives. */
export type PinResult =
  | { readonly kind: 'pinned'; readonly digest: PinnedDigest }
  /** Two different digests of the strongest algorithm, or a malformed one of an algorithm Cordon reads. */
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'none' };

interface DistLike {
  readonly integrity?: unknown;
  readonly shasum?: unknown;
}

/** Every digest of a known algorithm in `dist` (`integrity` tokens and `shasum`), or the reason one is unusable. */
function collect(dist: DistLike | undefined): Map<DigestAlgorithm, Set<string>> | string {
  const found = new Map<DigestAlgorithm, Set<string>>();
  const add = (algorithm: DigestAlgorithm, base64: string): void => {
    if (!found.has(algorithm)) found.set(algorithm, new Set());
    found.get(algorithm)!.add(base64);
  };
  if (dist && typeof dist.integrity === 'string') {
    for (const token of dist.integrity.trim().split(/\s+/).filter(Boolean)) {
      const dash = token.indexOf('-');
      if (dash <= 0) continue;
      const algorithm = token.slice(0, dash).toLowerCase() as DigestAlgorithm;
      if (!DIGEST_ALGORITHMS.includes(algorithm)) continue;
      const base64 = token.slice(dash + 1).split('?', 1)[0]!;
      if (!isDigest(algorithm, base64))
        return `its integrity carries a malformed ${algorithm} digest (${JSON.stringify(token.slice(0, 120))})`;
      add(algorithm, base64);
    }
  } else if (dist && dist.integrity !== undefined && dist.integrity !== null) {
    return 'its integrity is not a string';
  }
  if (dist && typeof dist.shasum === 'string' && dist.shasum !== '') {
    if (!/^[0-9a-f]{40}$/i.test(dist.shasum)) return `its shasum is not a sha1 digest (${JSON.stringify(dist.shasum.slice(0, 60))})`;
    add('sha1', Buffer.from(dist.shasum, 'hex').toString('base64'));
  }
  return found;
}

/** True when `base64` is the canonical base64 of a digest of `algorithm`'s length. */
function isDigest(algorithm: DigestAlgorithm, base64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return false;
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length === DIGEST_BYTES[algorithm] && bytes.toString('base64') === base64;
}

/** Builds a PinnedDigest from its parts. */
export function pinned(algorithm: DigestAlgorithm, base64: string): PinnedDigest {
  return { algorithm, base64, sri: `${algorithm}-${base64}` };
}

/** Pins the strongest digest of a version's `dist`. */
export function pinDigest(dist: DistLike | undefined): PinResult {
  const found = collect(dist);
  if (typeof found === 'string') return { kind: 'refused', reason: found };
  for (const algorithm of DIGEST_ALGORITHMS) {
    const set = found.get(algorithm);
    if (!set) continue;
    if (set.size > 1)
      return {
        kind: 'refused',
        reason: `its integrity names ${set.size} different ${algorithm} digests, so the bytes analysed and the bytes served could differ`,
      };
    return { kind: 'pinned', digest: pinned(algorithm, [...set][0]!) };
  }
  return { kind: 'none' };
}

/** Reads a stored pin (`sha512-…`), or null when the text is not exactly one digest of a known algorithm. */
export function parsePinned(sri: string | null | undefined): PinnedDigest | null {
  if (!sri) return null;
  const dash = sri.indexOf('-');
  const algorithm = sri.slice(0, dash) as DigestAlgorithm;
  const base64 = sri.slice(dash + 1);
  return dash > 0 && DIGEST_ALGORITHMS.includes(algorithm) && isDigest(algorithm, base64) ? pinned(algorithm, base64) : null;
}

/**
 * True while a later look at the version still shows the pinned digest and nothing that contradicts it:
 * the digest is listed, and no other digest of its algorithm is. Any other answer means upstream now
 * describes other bytes under the same version number.
 */
export function stillPinned(dist: DistLike | undefined, pin: PinnedDigest): boolean {
  const found = collect(dist);
  if (typeof found === 'string') return false;
  const set = found.get(pin.algorithm);
  return set !== undefined && set.size === 1 && set.has(pin.base64);
}

/** An incremental check of bytes against a pin, which also yields their sha512 (the key of the verified store). */
export class DigestCheck {
  private readonly sha512: Hash = createHash('sha512');
  private readonly other: Hash | null;
  constructor(private readonly pin: PinnedDigest) {
    this.other = pin.algorithm === 'sha512' ? null : createHash(pin.algorithm);
  }
  update(chunk: Uint8Array): void {
    this.sha512.update(chunk);
    this.other?.update(chunk);
  }
  /** The bytes' sha512 as a PinnedDigest, and whether they match the pin. */
  finish(): { sha512: PinnedDigest; matches: boolean } {
    const sha512 = pinned('sha512', this.sha512.digest('base64'));
    const actual = this.other ? this.other.digest('base64') : sha512.base64;
    return { sha512, matches: actual === this.pin.base64 };
  }
}

/** The sha512 of `bytes` as a PinnedDigest. */
export function sha512Of(bytes: Uint8Array): PinnedDigest {
  return pinned('sha512', createHash('sha512').update(bytes).digest('base64'));
}

/** True when `bytes` match `pin`. */
export function bytesMatch(bytes: Uint8Array, pin: PinnedDigest): boolean {
  return createHash(pin.algorithm).update(bytes).digest('base64') === pin.base64;
}
