/**
 * The one way to get a version's tarball to read it: fetch, verify, unpack. Given the version as pinned
 * (name, version, the digest pinned at first sight, the upstream tarball URL, the sha512 of bytes verified
 * before), `fetchVersion` returns bytes that match the pin — from the verified store, or downloaded,
 * checked and stored by it — and their files. The analysis pipeline, the review diff and `cordon
 * analyze` all read through it; the tarball server serves from the same store (BlobStore.ensure).
 */
import { blobDigest, type BlobSource, type BlobStore } from '../blobs/blob-store';
import { BlobError } from '../blobs/errors';
import { blobSource, manifestSource } from '../blobs/sources';
import { parsePinned } from '../policy/digest-pin';
import type { VersionRecord } from '../policy/version-state';
import { readTarball, type TarballContents } from '../tarball/read-tarball';

/** A version as the mirror pinned it. */
export interface PinnedVersion {
  readonly name: string;
  readonly version: string;
  /** The one digest pinned at first sight (`sha512-…`, or the strongest upstream gave). */
  readonly integrity: string;
  /** Where upstream serves its tarball. */
  readonly tarballUrl: string;
  /** sha512 (`sha512-…`) of bytes verified before under a weaker pin, or null. */
  readonly blob: string | null;
}

/** Verified bytes of a version, and their files once unpacked. */
export interface FetchedVersion {
  readonly bytes: Buffer;
  /** sha512 (`sha512-…`) of `bytes`. */
  readonly sha512: string;
  /**
   * The files of `bytes` (read once, on first call, so a caller that only needs the bytes here — the
   * review diff unpacks in its thread with `unpackVersion` — or must check something first pays nothing).
   * Throws TarballError when the tarball cannot be read.
   */
  unpack(): TarballContents;
}

/** Reads verified tarball bytes into files; throws TarballError. The same reader wherever it runs. */
export function unpackVersion(bytes: Uint8Array): TarballContents {
  return readTarball(bytes);
}

/**
 * Fetches, verifies and (on demand) unpacks `pinned`. Throws BlobError: DIGEST_MISMATCH when there is no
 * single pinned digest or the bytes do not match it, else what the store or upstream answered.
 */
export async function fetchVersion(blobs: BlobStore, pinned: PinnedVersion): Promise<FetchedVersion> {
  const label = `${pinned.name}@${pinned.version}`;
  const pin = parsePinned(pinned.integrity);
  if (!pin)
    throw new BlobError('DIGEST_MISMATCH', `${label} has no single pinned digest (${pinned.integrity}); its bytes cannot be verified`);
  // A sha512 pin names the stored blob itself; a weaker one only once bytes were verified under it.
  const source: BlobSource = {
    url: pinned.tarballUrl,
    pin,
    blob: blobDigest(pinned.blob) ?? (pin.algorithm === 'sha512' ? pin : null),
    label,
  };
  const { bytes, sha512 } = await blobs.verifiedBytes(source);
  let contents: TarballContents | undefined;
  return { bytes, sha512: sha512.sri, unpack: () => (contents ??= unpackVersion(bytes)) };
}

/** The pinned record of a version the store knows, or null when it has no pinned digest (it is never read). */
export function pinnedOf(record: VersionRecord, upstream: string): PinnedVersion | null {
  const source = blobSource(record, upstream);
  return source && { name: record.package, version: record.version, integrity: source.pin.sri, tarballUrl: source.url, blob: record.blob };
}

/**
 * The pinned record of a version the store does not know (`cordon analyze pkg@1.2.3`), from upstream's
 * manifest: its strongest digest, pinned here. Throws BlobError when the manifest names two digests of
 * its strongest algorithm, none, or a tarball elsewhere than on `upstream`.
 */
export function pinnedFromManifest(
  name: string,
  version: string,
  dist: { integrity?: unknown; shasum?: unknown; tarball?: unknown } | undefined,
  upstream: string,
): PinnedVersion {
  const source = manifestSource(name, version, dist, upstream);
  return { name, version, integrity: source.pin.sri, tarballUrl: source.url, blob: source.blob?.sri ?? null };
}

/**
 * The review's byte source: verified bytes of a version the store knows, by the digest recorded for it.
 * Throws BlobError DIGEST_MISMATCH when the store has no such pinned version.
 */
export function storedVersionBytes(
  blobs: BlobStore,
  versionOf: (name: string, version: string) => VersionRecord | undefined | Promise<VersionRecord | undefined>,
  upstream: string,
): (name: string, version: string, integrity: string) => Promise<Buffer> {
  return async (name, version, integrity) => {
    const record = await versionOf(name, version);
    const pinned = record && record.integrity === integrity ? pinnedOf(record, upstream) : null;
    if (!pinned) throw new BlobError('DIGEST_MISMATCH', `the mirror has no bytes pinned to ${integrity} for ${name}@${version}`);
    return (await fetchVersion(blobs, pinned)).bytes;
  };
}
