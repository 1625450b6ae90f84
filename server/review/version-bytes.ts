/**
 * Where the review reads a version's tarball bytes and metadata. ONE function is the byte source: today
 * upstream; the content-addressed store of verified bytes replaces it with one line in `createDiffService`'s
 * caller. Whatever the source, the diff thread checks the bytes against the integrity the mirror recorded.
 */
import { fetchPackument, fetchTarball, type Packument } from '../upstream/registry-client';
import { UpstreamError } from '../upstream/errors';

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

/** Tarball bytes from the upstream registry, found through the package's packument. */
export function upstreamVersionBytes(packuments: LoadPackument): LoadVersionBytes {
  return async (name, version) => {
    const url = (await packuments(name)).versions[version]?.dist?.tarball;
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) throw new UpstreamError('UPSTREAM_NOT_FOUND', `upstream no longer lists a tarball for ${name}@${version}`);
    return fetchTarball(url);
  };
}
