/** Removes hidden versions from a packument, everywhere they show: versions, time, dist-tags, readme, dist files. */
import { rewriteDistTags } from './dist-tags';
import { tarballBasename, type Packument } from './manifest';

const TIME_KEYS_KEPT = new Set(['created']);

/** A copy of `packument` with only the versions for which `isVisible` is true; the input is not changed. */
export function filterManifest(packument: Readonly<Packument>, isVisible: (version: string) => boolean): Packument {
  const versions: Packument['versions'] = {};
  const visible: string[] = [];
  for (const [version, manifest] of Object.entries(packument.versions ?? {})) {
    if (isVisible(version)) {
      versions[version] = manifest;
      visible.push(version);
    }
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
