/** A version as a first sighting records it, for tests that write the store directly. */
import type { VersionRecord, VersionState } from '../../server/policy/version-state';

/** When the records below were first seen (their `publishedAt` is a second earlier). */
export const RECORD_TIME = Date.parse('2026-11-20T12:00:00Z');

/** A quarantined (or `state`) version of `pkg` waiting for analysis; `extra` overrides any field. */
export function versionRecord(
  pkg: string,
  version: string,
  state: VersionState = 'quarantined',
  extra: Partial<VersionRecord> = {},
): VersionRecord {
  return {
    package: pkg,
    version,
    state,
    publishedAt: RECORD_TIME - 1000,
    firstSeenAt: RECORD_TIME,
    integrity: `sha512-${pkg}-${version}`,
    tarball: `${pkg.replace(/^@[^/]+\//, '')}-${version}.tgz`,
    tarballUrl: null,
    blob: null,
    reason: 'new version in cooldown',
    updatedAt: RECORD_TIME,
    analysis: 'pending',
    maxSeverity: null,
    findingsDigest: null,
    publisher: null,
    ...extra,
  };
}
