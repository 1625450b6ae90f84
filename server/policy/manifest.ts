import { createHash } from 'node:crypto';

/** The parts of a registry packument Cordon reads; everything else passes through untouched. */
export interface VersionManifest {
  name?: string;
  version?: string;
  dist?: { tarball?: string; integrity?: string; shasum?: string; [key: string]: unknown };
  readme?: string;
  [key: string]: unknown;
}

export interface Packument {
  name: string;
  versions: Record<string, VersionManifest>;
  'dist-tags'?: Record<string, unknown>;
  time?: Record<string, unknown>;
  readme?: string;
  _distfiles?: Record<string, { url?: string; sha?: string; registry?: string }>;
  [key: string]: unknown;
}

/** The basename of a tarball URL (`https://r/pkg/-/pkg-1.0.0.tgz` → `pkg-1.0.0.tgz`), or null. */
export function tarballBasename(url: unknown): string | null {
  if (typeof url !== 'string' || url === '') return null;
  const path = url.split(/[?#]/, 1)[0]!;
  const base = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(base) || null;
  } catch {
    return base || null;
  }
}

/** Upstream publish time of `version` in epoch ms, or null when missing or unparsable. */
export function publishTime(packument: Pick<Packument, 'time'>, version: string): number | null {
  const raw = packument.time?.[version];
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const ms = typeof raw === 'number' ? raw : Date.parse(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** The integrity of a version as one SRI string: `dist.integrity` plus `sha1-…` from `dist.shasum`. */
export function integrityOf(manifest: VersionManifest | undefined): string | null {
  const dist = manifest?.dist;
  if (!dist || typeof dist !== 'object') return null;
  const parts: string[] = [];
  if (typeof dist.integrity === 'string') parts.push(...dist.integrity.trim().split(/\s+/).filter(Boolean));
  if (typeof dist.shasum === 'string' && /^[0-9a-f]{40}$/i.test(dist.shasum)) {
    const sha1 = `sha1-${Buffer.from(dist.shasum, 'hex').toString('base64')}`;
    if (!parts.includes(sha1)) parts.push(sha1);
  }
  return parts.length ? parts.join(' ') : null;
}

function digests(sri: string): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const part of sri.split(/\s+/)) {
    const dash = part.indexOf('-');
    if (dash <= 0) continue;
    const algo = part.slice(0, dash).toLowerCase();
    const digest = part.slice(dash + 1).split('?', 1)[0]!;
    if (!map.has(algo)) map.set(algo, new Set());
    map.get(algo)!.add(digest);
  }
  return map;
}

/**
 * True when `bytes` match an integrity string, checked with its strongest algorithm only (a matching
 * sha1 does not rescue a wrong sha512). No usable digest at all is no match.
 */
export function matchesIntegrity(bytes: Uint8Array, sri: string | null): boolean {
  if (!sri) return false;
  const map = digests(sri);
  for (const algo of ['sha512', 'sha384', 'sha256', 'sha1']) {
    const expected = map.get(algo);
    if (expected) return expected.has(createHash(algo).update(bytes).digest('base64'));
  }
  return false;
}

/**
 * True when two integrity strings describe different bytes: they share an algorithm and no digest of
 * it agrees. Strings with no algorithm in common cannot be compared and do not count as a change.
 */
export function integrityChanged(before: string | null, after: string | null): boolean {
  if (!before || !after || before === after) return false;
  const a = digests(before);
  const b = digests(after);
  for (const [algo, set] of a) {
    const other = b.get(algo);
    if (other && ![...set].some((d) => other.has(d))) return true;
  }
  return false;
}
