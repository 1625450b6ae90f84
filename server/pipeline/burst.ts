/**
 * Publish bursts: one publisher pushing many versions across packages within minutes, as the hijacked
 * TanStack pipeline did (84 versions of 42 packages in six minutes). Pure: works on version records.
 */
import type { Finding } from '../analyzer';
import { formatDuration } from '../config/duration';
import type { VersionRecord } from '../policy/version-state';

export interface BurstSettings {
  readonly windowMs: number;
  readonly versions: number;
}

/**
 * The burst finding for `target`, given the versions its publisher published around it, or null.
 * A monorepo release (one version each of many packages) is `low`; several versions of the same
 * package within the window — what a worm re-publishing does, not what a release does — is `medium`.
 */
export function burstFinding(
  target: Pick<VersionRecord, 'package' | 'version' | 'publisher' | 'publishedAt'>,
  around: readonly VersionRecord[],
  settings: BurstSettings,
): Finding | null {
  if (!target.publisher || target.publishedAt === null) return null;
  const inWindow = around.filter(
    (r) => r.publisher === target.publisher && r.publishedAt !== null && Math.abs(r.publishedAt - target.publishedAt!) <= settings.windowMs,
  );
  const packages = new Map<string, number>();
  for (const r of inWindow) packages.set(r.package, (packages.get(r.package) ?? 0) + 1);
  if (inWindow.length < settings.versions || packages.size < 2) return null;
  const repeated = [...packages.values()].some((n) => n >= 2);
  return {
    category: 'metadata',
    rule: 'metadata/publish-burst',
    severity: repeated ? 'medium' : 'low',
    message:
      `${target.publisher} published ${inWindow.length} versions of ${packages.size} packages within ${formatDuration(settings.windowMs)} of this one` +
      (repeated
        ? ', several of the same package: the pattern of a hijacked release pipeline.'
        : ' (a large release, or a hijacked pipeline).'),
    evidence: [...packages.keys()].slice(0, 8).join(', ') + (packages.size > 8 ? ', …' : ''),
  };
}
