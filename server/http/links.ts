/**
 * Where a person reads about a package or version: the links that refusals, registry notices,
 * notifications, the CLI and the review page print. One place, so every channel names the same page.
 */
import type { CordonConfig } from '../config';

/** The path of the page of one package (`@scope/name` keeps its slash; every other character is encoded). */
export function packagePagePath(name: string): string {
  return `/-/cordon/packages/${name
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/^%40/, '@'))
    .join('/')}`;
}

/** The path of the review page of one version. */
export function reviewPagePath(name: string, version: string): string {
  return `${packagePagePath(name)}/${encodeURIComponent(version)}`;
}

/** The request parts a base URL can be read from, when no `publicUrl` is configured. */
export interface RequestOrigin {
  readonly protocol?: string;
  readonly headers: { readonly host?: string | string[] };
}

/**
 * The mirror's base URL, ending in `/`: `publicUrl` when set; else the host the request came to; else
 * `host:port` from the settings (a wildcard listen address reads as 127.0.0.1).
 */
export function mirrorBaseUrl(config: Pick<CordonConfig, 'publicUrl' | 'host' | 'port'>, req?: RequestOrigin): string {
  if (config.publicUrl) return config.publicUrl;
  const host = req?.headers.host;
  if (typeof host === 'string' && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host))
    return `${req?.protocol === 'https' ? 'https' : 'http'}://${host}/`;
  const listen = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${listen.includes(':') ? `[${listen}]` : listen}:${config.port}/`;
}

/** The absolute URL of a version's review page. */
export function reviewUrl(base: string, name: string, version: string): string {
  return new URL(reviewPagePath(name, version).slice(1), base).href;
}

/** The absolute URL of a package's page. */
export function packageUrl(base: string, name: string): string {
  return new URL(packagePagePath(name).slice(1), base).href;
}
