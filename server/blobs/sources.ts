/**
 * Where a version's bytes come from and what they must hash to: from the store's record of the version,
 * or, for a version the store does not know (`cordon analyze pkg@1.2.3`), from upstream's manifest.
 * Serving goes through BlobStore.ensure with one of these; every reader of a version's files — the
 * analysis, the review diff, the CLI — through fetchVersion (server/upstream/version-bytes.ts).
 */
import { parsePinned, pinDigest } from '../policy/digest-pin';
import type { VersionRecord } from '../policy/version-state';
import { upstreamTarballUrl } from '../quarantine/first-sight';
import { blobDigest, type BlobSource } from './blob-store';
import { BlobError } from './errors';

/** Where a version's bytes come from, or null when it has no pinned digest (then it is never served). */
export function blobSource(record: VersionRecord, upstream: string): BlobSource | null {
  const pin = parsePinned(record.integrity);
  if (!pin) return null;
  const base = record.package.slice(record.package.lastIndexOf('/') + 1);
  const url =
    record.tarballUrl ??
    new URL(`${record.package.replace('/', '%2f')}/-/${encodeURIComponent(record.tarball ?? `${base}-${record.version}.tgz`)}`, upstream)
      .href;
  return { url, pin, blob: blobDigest(record.blob), label: `${record.package}@${record.version}` };
}

/**
 * The source of a version from upstream's manifest: its strongest digest, pinned here, and its tarball
 * address on the upstream registry. Throws BlobError when the manifest names two digests of its
 * strongest algorithm, none, or a tarball elsewhere.
 */
export function manifestSource(
  name: string,
  version: string,
  dist: { integrity?: unknown; shasum?: unknown; tarball?: unknown } | undefined,
  upstream: string,
): BlobSource {
  const label = `${name}@${version}`;
  const pin = pinDigest(dist);
  if (pin.kind === 'refused') throw new BlobError('DIGEST_MISMATCH', `${label} cannot be verified: ${pin.reason}`);
  if (pin.kind === 'none') throw new BlobError('DIGEST_MISMATCH', `${label} cannot be verified: upstream gives no digest for its tarball`);
  const url = upstreamTarballUrl(dist?.tarball, upstream);
  if (!url) throw new BlobError('UPSTREAM_NOT_FOUND', `${label} has no tarball address on ${upstream}`);
  return { url, pin: pin.digest, blob: pin.digest.algorithm === 'sha512' ? pin.digest : null, label };
}
