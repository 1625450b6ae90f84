/** The parts of a registry packument Cordon reads; everything else passes through untouched. */
export interface VersionManifest {
  name?: string;
  version?: string;
  dist?: { tarball?: string; integrity?: string; shasum?: string; [key: string]: unknown };
  readme?: string;
  [key: string]: unknown;
}

export interface Packument {
  name: string;
  versions: Record<string, VersionManifest>;
  'dist-tags'?: Record<string, unknown>;
  time?: Record<string, unknown>;
  readme?: string;
  _distfiles?: Record<string, { url?: string; sha?: string; registry?: string }>;
  [key: string]: unknown;
}

/** The basename of a tarball URL (`https://r/pkg/-/pkg-1.0.0.tgz` → `pkg-1.0.0.tgz`), or null. */
export function tarballBasename(url: unknown): string | null {
  if (typeof url !== 'string' || url === '') return null;
  const path = url.split(/[?#]/, 1)[0]!;
  const base = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(base) || null;
  } catch {
    return base || null;
  }
}

/** Upstream publish time of `version` in epoch ms, or null when missing or unparsable. */
export function publishTime(packument: Pick<Packument, 'time'>, version: string): number | null {
  const raw = packument.time?.[version];
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const ms = typeof raw === 'number' ? raw : Date.parse(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** The integrity of a version as one SRI string: `dist.integrity` plus `sha1-…` from `dist.shasum`. */
export function integrityOf(manifest: VersionManifest | undefined): string | null {
  const dist = manifest?.dist;
  if (!dist || typeof dist !== 'object') return null;
  const parts: string[] = [];
  if (typeof dist.integrity === 'string') parts.push(...dist.integrity.trim().split(/\s+/).filter(Boolean));
  if (typeof dist.shasum === 'string' && /^[0-9a-f]{40}$/i.test(dist.shasum)) {
    const sha1 = `sha1-${Buffer.from(dist.shasum, 'hex').toString('base64')}`;
    if (!parts.includes(sha1)) parts.push(sha1);
  }
  return parts.length ? parts.join(' ') : null;
}
