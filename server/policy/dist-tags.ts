/** Rewrites dist-tags so that none points at a hidden version. */
import semver from 'semver';

function channelOf(version: semver.SemVer): string | null {
  const first = version.prerelease[0];
  return first === undefined ? null : String(first);
}

/**
 * Each tag that points at a visible version is kept. One that points at a hidden version moves to the
 * highest visible version of the same channel that is not above it — stable versions for a stable
 * target, the same prerelease id (`beta` in `2.0.0-beta.3`) for a prerelease target — and is dropped
 * when there is none. `latest` falls back to the highest visible stable version, so that
 * `npm install pkg` keeps working while the newest release cools down.
 */
export function rewriteDistTags(tags: Record<string, unknown>, visible: readonly string[]): Record<string, string> {
  const visibleSet = new Set(visible);
  const parsed = visible
    .map((v) => semver.parse(v, { loose: false }))
    .filter((v): v is semver.SemVer => v !== null)
    .sort((a, b) => semver.rcompare(a, b));
  const out: Record<string, string> = {};
  for (const [tag, target] of Object.entries(tags)) {
    if (typeof target !== 'string') continue;
    if (visibleSet.has(target)) {
      out[tag] = target;
      continue;
    }
    const hidden = semver.parse(target);
    const channel = hidden ? channelOf(hidden) : null;
    const sameChannel = parsed.filter((v) => channelOf(v) === channel);
    const below = hidden ? sameChannel.find((v) => semver.lte(v, hidden)) : undefined;
    const pick = below ?? (tag === 'latest' ? parsed.find((v) => channelOf(v) === null) : undefined);
    if (pick) out[tag] = pick.version;
  }
  return out;
}
