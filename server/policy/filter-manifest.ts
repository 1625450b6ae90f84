/** Removes hidden versions from a packument, everywhere they show: versions, time, dist-tags, readme, dist files. */
import { rewriteDistTags } from './dist-tags';
import { tarballBasename, type Packument, type VersionManifest } from './manifest';

const TIME_KEYS_KEPT = new Set(['created']);

/**
 * The version manifest with `dist` naming exactly the pinned digest: `integrity` is the pin, and `shasum`
 * is kept only when the pin is that sha1 (any other sha1 could name other bytes). Everything else in
 * `dist` — the tarball URL, signatures, attestations — passes through.
 */
export function withPinnedDigest(manifest: VersionManifest, pin: string): VersionManifest {
  const dist: NonNullable<VersionManifest['dist']> = {
    ...(manifest.dist && typeof manifest.dist === 'object' ? manifest.dist : {}),
    integrity: pin,
  };
  if (pin.startsWith('sha1-')) dist.shasum = Buffer.from(pin.slice('sha1-'.length), 'base64').toString('hex');
  else delete dist.shasum;
  return { ...manifest, dist };
}

/**
 * A copy of `packument` with only the versions for which `isVisible` is true; the input is not changed.
 * With `pinOf`, each visible version's `dist` carries only the digest pinned for it; a version without
 * a pin is dropped (its bytes could not be verified, so it could not be served).
 */
export function filterManifest(
  packument: Readonly<Packument>,
  isVisible: (version: string) => boolean,
  pinOf?: (version: string) => string | null,
): Packument {
  const versions: Packument['versions'] = {};
  const visible: string[] = [];
  for (const [version, manifest] of Object.entries(packument.versions ?? {})) {
    if (!isVisible(version)) continue;
    if (pinOf) {
      const pin = pinOf(version);
      if (!pin || !manifest || typeof manifest !== 'object') continue;
      versions[version] = withPinnedDigest(manifest, pin);
    } else versions[version] = manifest;
    visible.push(version);
  }
  const out: Packument = { ...packument, versions };

  if (packument.time && typeof packument.time === 'object') {
    const time: Record<string, unknown> = {};
    let modified: string | undefined;
    for (const [key, value] of Object.entries(packument.time)) {
      if (TIME_KEYS_KEPT.has(key) || Object.hasOwn(versions, key)) {
        time[key] = value;
        if (Object.hasOwn(versions, key) && typeof value === 'string' && (!modified || value > modified)) modified = value;
      }
    }
    // `modified` would reveal that something newer exists; it becomes the newest visible publish time.
    if (modified ?? time.created) time.modified = modified ?? time.created;
    out.time = time;
  }

  const tags = packument['dist-tags'] && typeof packument['dist-tags'] === 'object' ? packument['dist-tags'] : {};
  const rewritten = rewriteDistTags(tags, visible);
  out['dist-tags'] = rewritten;

  const originalLatest = tags.latest;
  if (typeof originalLatest === 'string' && !Object.hasOwn(versions, originalLatest)) {
    // The top-level readme is the one of the hidden latest: show the new latest's, or none.
    const latest = rewritten.latest;
    const readme = latest ? versions[latest]?.readme : undefined;
    if (typeof readme === 'string') out.readme = readme;
    else delete out.readme;
  }

  if (packument._distfiles && typeof packument._distfiles === 'object') {
    const allowed = new Set<string>();
    for (const manifest of Object.values(versions)) {
      const base = tarballBasename(manifest?.dist?.tarball);
      if (base) allowed.add(base);
    }
    const distfiles: NonNullable<Packument['_distfiles']> = {};
    for (const [file, entry] of Object.entries(packument._distfiles)) if (allowed.has(file)) distfiles[file] = entry;
    out._distfiles = distfiles;
  }
  return out;
}

/** The packument with no versions at all: what a filter serves when it cannot tell which versions are visible. */
export function emptyManifest(packument: Readonly<Pick<Packument, 'name'>>): Packument {
  return { name: packument.name, versions: {}, 'dist-tags': {}, time: {} };
}
