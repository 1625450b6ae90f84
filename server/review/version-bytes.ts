/**
 * Where the review reads a version's tarball bytes and metadata. The bytes come from the one fetch of
 * server/upstream/version-bytes.ts (storedVersionBytes: verified against the pinned digest); whatever the
 * source, the diff thread checks them again against the integrity the mirror recorded.
 */
import { fetchPackument, type Packument } from '../upstream/registry-client';

/** The tarball bytes of one version, which must match `integrity` (the caller verifies). */
export type LoadVersionBytes = (name: string, version: string, integrity: string) => Promise<Buffer>;
/** The registry metadata of a package (for the metadata diff). */
export type LoadPackument = (name: string) => Promise<Packument>;

/** Remembers each packument for `ttlMs` and shares one request among concurrent callers. */
export function memoPackuments(load: LoadPackument, ttlMs = 30_000, now: () => number = Date.now): LoadPackument {
  const memo = new Map<string, { at: number; value: Promise<Packument> }>();
  return (name) => {
    const hit = memo.get(name);
    if (hit && now() - hit.at < ttlMs) return hit.value;
    const value = load(name);
    memo.set(name, { at: now(), value });
    if (memo.size > 256) memo.delete(memo.keys().next().value!);
    value.catch(() => memo.delete(name));
    return value;
  };
}

/** Packuments from the upstream registry. */
export function upstreamPackuments(upstream: string): LoadPackument {
  return memoPackuments((name) => fetchPackument(upstream, name));
}
