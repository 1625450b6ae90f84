/**
 * Fetches a version's attestation bundles (npm's `/-/npm/v1/attestations/<name>@<version>`) from the
 * configured upstream only: a packument names the URL, but a hostile packument must not make Cordon
 * fetch from any other host, so a URL off the upstream's origin is replaced by the standard path.
 */
import { UpstreamError } from './errors';
import { get, type FetchOptions } from './registry-client';

const DEFAULTS = { timeoutMs: 30_000, maxBytes: 4 * 1024 * 1024 };

/** The attestations URL to fetch for `name@version`: the declared one when it is on the upstream's origin, else the standard path there. */
export function attestationsUrl(upstream: string, name: string, version: string, declared?: unknown): string {
  const base = new URL(upstream.endsWith('/') ? upstream : `${upstream}/`);
  if (typeof declared === 'string') {
    try {
      const url = new URL(declared);
      if (url.origin === base.origin && !url.username && !url.password) return url.href;
    } catch {
      // not a URL: fall through to the standard path
    }
  }
  return new URL(`-/npm/v1/attestations/${name.replace('/', '%2f')}@${encodeURIComponent(version)}`, base).href;
}

/** The parsed attestations response of `name@version`, or null when upstream has none (404). */
export async function fetchAttestations(
  upstream: string,
  name: string,
  version: string,
  declared?: unknown,
  options: FetchOptions = {},
): Promise<unknown | null> {
  const url = attestationsUrl(upstream, name, version, declared);
  let body: Buffer;
  try {
    body = (await get(url, 'application/json', options.timeoutMs ?? DEFAULTS.timeoutMs, options.maxBytes ?? DEFAULTS.maxBytes))!.body;
  } catch (err) {
    if (err instanceof UpstreamError && err.code === 'UPSTREAM_NOT_FOUND') return null;
    throw err;
  }
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new UpstreamError('UPSTREAM_BAD_RESPONSE', `${url} did not return JSON`, { cause: err });
  }
}
