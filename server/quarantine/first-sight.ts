/**
 * What a version becomes when it is first seen, beyond the cooldown policy: its bytes are pinned to one
 * digest and one upstream address, or it is refused for good. Pure.
 */
import { findingsDigest, ANALYZER_VERSION, type Finding } from '../analyzer';
import { pinDigest } from '../policy/digest-pin';
import type { VersionRecord, VersionState } from '../policy/version-state';
import type { SightingFindings } from '../../storage';

/** The parts of a first-seen version's record this decides. */
export interface FirstSight {
  readonly record: Pick<VersionRecord, 'state' | 'reason' | 'integrity' | 'tarballUrl' | 'blob' | 'analysis'>;
  /** For a version refused at first sight: the finding that says why, kept as its analysis. */
  readonly refusal?: SightingFindings;
}

const MAX_RAW_INTEGRITY = 1_000;

/**
 * The tarball address to fetch a version's bytes from: `url` when it is on the upstream registry's host
 * (taking upstream's scheme, so an `http://` link of an https registry is fetched over https), else null.
 * A hostile packument must not make the mirror fetch from anywhere else.
 */
export function upstreamTarballUrl(url: unknown, upstream: string): string | null {
  if (typeof url !== 'string' || url.length > 4096) return null;
  let target: URL;
  let base: URL;
  try {
    target = new URL(url);
    base = new URL(upstream);
  } catch {
    return null;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return null;
  // URL drops default ports, so an explicit port must equal the registry's, and none matches none.
  if (target.username || target.password || target.hostname !== base.hostname || target.port !== base.port) return null;
  target.protocol = base.protocol;
  target.hash = '';
  return target.href;
}

function refused(version: string, integrityKey: string, rule: string, severity: Finding['severity'], message: string): SightingFindings {
  const findings: Finding[] = [{ category: 'metadata', rule, severity, message }];
  return {
    version,
    integrity: integrityKey,
    findings,
    digest: findingsDigest(findings),
    maxSeverity: severity,
    analyzerVersion: ANALYZER_VERSION,
  };
}

/**
 * The record of a version seen for the first time, given the cooldown policy's `initial` state: pinned
 * and in that state, or `blocked` when its digest cannot be pinned to one or its tarball is not on the
 * upstream registry. A blocked version is never served and cannot be approved.
 */
export function firstSight(
  name: string,
  version: string,
  dist: { integrity?: unknown; shasum?: unknown; tarball?: unknown } | undefined,
  tarballUrl: string | null,
  initial: { state: VersionState; reason: string },
): FirstSight {
  const pin = pinDigest(dist);
  const raw =
    [dist?.integrity, dist?.shasum]
      .filter((v) => typeof v === 'string')
      .join(' ')
      .slice(0, MAX_RAW_INTEGRITY) || null;
  const blocked = (reason: string, refusal?: SightingFindings): FirstSight => ({
    record: {
      state: 'blocked',
      reason,
      integrity: pin.kind === 'pinned' ? pin.digest.sri : raw,
      tarballUrl,
      blob: null,
      analysis: refusal ? 'failed' : null,
    },
    refusal,
  });
  if (pin.kind === 'refused') {
    const reason = `upstream's integrity for ${name}@${version} is refused: ${pin.reason}. It will never be served`;
    return blocked(
      reason,
      refused(
        version,
        raw ?? '(none)',
        'integrity/ambiguous-digest',
        'critical',
        `${reason}; a registry that lists two digests for one tarball is serving, or preparing to serve, other bytes than the ones reviewed.`,
      ),
    );
  }
  if (pin.kind === 'none')
    return blocked(
      `upstream gives no digest for the tarball of ${name}@${version}, so its bytes cannot be verified; it will never be served`,
    );
  if (tarballUrl === null) {
    const where = typeof dist?.tarball === 'string' ? dist.tarball.slice(0, 300) : '(none)';
    const reason = `upstream gives a tarball address that is not on the upstream registry (${where}); Cordon fetches tarballs only from the registry it mirrors`;
    return blocked(reason, refused(version, pin.digest.sri, 'integrity/foreign-tarball', 'high', reason));
  }
  return {
    record: {
      state: initial.state,
      reason: initial.reason,
      integrity: pin.digest.sri,
      tarballUrl,
      blob: pin.digest.algorithm === 'sha512' ? pin.digest.sri : null,
      analysis: initial.state === 'quarantined' ? 'pending' : null,
    },
  };
}
