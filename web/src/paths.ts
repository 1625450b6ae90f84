/** The page's own URLs, spelled exactly as the server's links module spells them. */

/** The mirror's base path ("/" or "/prefix/"), from the page the server sent. */
export const BASE = document.documentElement.dataset.base ?? '/';

const encodeName = (name: string): string =>
  name
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/^%40/, '@'))
    .join('/');

export const queuePath = (): string => `${BASE}-/cordon/`;
export const packagePath = (name: string): string => `${BASE}-/cordon/packages/${encodeName(name)}`;
export const reviewPath = (name: string, version: string): string => `${packagePath(name)}/${encodeURIComponent(version)}`;
export const auditPath = (): string => `${BASE}-/cordon/audit`;
export const apiPath = (path: string): string => `${BASE}-/cordon/api/v1/${path}`;

/** Which page a path is: queue, package, review, audit or enroll. */
export type Route =
  | { page: 'queue' }
  | { page: 'package'; name: string }
  | { page: 'review'; name: string; version: string }
  | { page: 'audit' }
  | { page: 'enroll' }
  | { page: 'unknown' };

export function route(pathname: string): Route {
  const prefix = `${BASE}-/cordon/`;
  if (!pathname.startsWith(prefix.slice(0, -1))) return { page: 'unknown' };
  const rest = pathname.slice(prefix.length).replace(/\/+$/, '');
  if (rest === '') return { page: 'queue' };
  if (rest === 'audit') return { page: 'audit' };
  if (rest === 'enroll') return { page: 'enroll' };
  if (!rest.startsWith('packages/')) return { page: 'unknown' };
  let parts: string[];
  try {
    parts = rest.slice('packages/'.length).split('/').map(decodeURIComponent);
  } catch {
    return { page: 'unknown' };
  }
  const scoped = parts[0]?.startsWith('@');
  const name = scoped ? `${parts[0]}/${parts[1] ?? ''}` : parts[0]!;
  const version = parts.slice(scoped ? 2 : 1).join('/');
  if (!name || (scoped && !parts[1])) return { page: 'unknown' };
  return version ? { page: 'review', name, version } : { page: 'package', name };
}
