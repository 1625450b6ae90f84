/** Reads which package, tarball or version a registry URL asks for, whatever its spelling. */
import semver from 'semver';

export type PackageRequest =
  | { readonly kind: 'tarball'; readonly name: string; readonly filename: string }
  | { readonly kind: 'version'; readonly name: string; readonly spec: string }
  | { readonly kind: 'packument'; readonly name: string };

/** The URL could not be decoded (bad percent-encoding): answer 400, never guess. */
export const MALFORMED = Symbol('malformed');

/**
 * Decodes percent-encoding until the path is stable (so `%2540` and `%252f` cannot slip a scope past
 * the guard), drops the query, repeated and trailing slashes, and reads `/<name>/-/<file>`,
 * `/<name>/<version>` and `/<name>` with `<name>` scoped or not. Paths under `/-/` are not package paths.
 */
export function parsePackagePath(url: string): PackageRequest | typeof MALFORMED | null {
  let path = url.split(/[?#]/, 1)[0] ?? '';
  for (let i = 0; i < 4; i++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return MALFORMED;
    }
    if (decoded === path) break;
    path = decoded;
    if (i === 3) return MALFORMED;
  }
  if (path.includes('\0')) return MALFORMED;
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length === 0 || segments[0] === '-' || segments[0]!.startsWith('-')) return null;
  let name: string;
  let rest: string[];
  if (segments[0]!.startsWith('@')) {
    if (segments.length < 2) return null;
    name = `${segments[0]}/${segments[1]}`;
    rest = segments.slice(2);
  } else {
    name = segments[0]!;
    rest = segments.slice(1);
  }
  if (rest.length === 0) return { kind: 'packument', name };
  if (rest[0] === '-') return rest.length >= 2 ? { kind: 'tarball', name, filename: rest[rest.length - 1]! } : null;
  if (rest.length === 1) return { kind: 'version', name, spec: rest[0]! };
  return null;
}

/** The version in a tarball name of the usual form `<unscoped-name>-<version>.tgz`, if it is one. */
export function versionFromFilename(name: string, filename: string): string | null {
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (!filename.startsWith(`${base}-`) || !filename.endsWith('.tgz')) return null;
  const candidate = filename.slice(base.length + 1, -'.tgz'.length);
  return semver.valid(candidate) === candidate ? candidate : null;
}
