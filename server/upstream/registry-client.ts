import { UpstreamError } from './errors';

/** Bounds of one request. */
export interface FetchOptions {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

/** A packument as the registry serves it (only the fields Cordon reads are typed). */
export interface Packument {
  readonly name: string;
  readonly versions: Readonly<
    Record<string, Record<string, unknown> & { dist?: { tarball?: string; integrity?: string; shasum?: string } }>
  >;
  readonly time?: Readonly<Record<string, string>>;
  readonly 'dist-tags'?: Readonly<Record<string, string>>;
}

const DEFAULTS = { timeoutMs: 30_000, packumentMaxBytes: 64 * 1024 * 1024, tarballMaxBytes: 128 * 1024 * 1024 };

/** The body and ETag of a 200 answer, or null for a 304 to `ifNoneMatch`; bounded in time and size, errors as UpstreamError codes. */
export async function get(
  url: string,
  accept: string,
  timeoutMs: number,
  maxBytes: number,
  ifNoneMatch?: string,
): Promise<{ body: Buffer; etag: string | null } | null> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    const headers: Record<string, string> = { accept, 'user-agent': 'cordon' };
    if (ifNoneMatch) headers['if-none-match'] = ifNoneMatch;
    res = await fetch(url, { headers, signal, redirect: 'follow' });
  } catch (err) {
    if (signal.aborted) throw new UpstreamError('UPSTREAM_TIMEOUT', `${url} did not answer within ${timeoutMs} ms`, { cause: err });
    throw new UpstreamError('UPSTREAM_UNREACHABLE', `cannot reach ${url}; check CORDON_UPSTREAM and the network`, { cause: err });
  }
  if (res.status === 304 && ifNoneMatch) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  if (res.status === 404) throw new UpstreamError('UPSTREAM_NOT_FOUND', `${url} was not found upstream (404)`);
  if (!res.ok) throw new UpstreamError('UPSTREAM_HTTP_ERROR', `${url} answered ${res.status}; retry later`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new UpstreamError('UPSTREAM_TOO_LARGE', `${url} is ${declared} bytes, more than ${maxBytes}`);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body ?? []) {
      total += chunk.length;
      if (total > maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        throw new UpstreamError('UPSTREAM_TOO_LARGE', `${url} is more than ${maxBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    if (signal.aborted) throw new UpstreamError('UPSTREAM_TIMEOUT', `${url} did not finish within ${timeoutMs} ms`, { cause: err });
    throw new UpstreamError('UPSTREAM_UNREACHABLE', `the connection to ${url} broke; retry`, { cause: err });
  }
  return { body: Buffer.concat(chunks), etag: res.headers.get('etag') };
}

/** The packument URL of `name` under `upstream` (which ends with '/'); scoped names keep their '@'. */
export function packumentUrl(upstream: string, name: string): string {
  return new URL(name.replace('/', '%2f'), upstream.endsWith('/') ? upstream : `${upstream}/`).toString();
}

/** Fetches and parses the full packument of `name`. */
export async function fetchPackument(upstream: string, name: string, options: FetchOptions = {}): Promise<Packument> {
  return (await fetchPackumentIfChanged(upstream, name, undefined, options))!.packument;
}

/**
 * Fetches the full packument of `name` unless upstream answers that the one with ETag `etag` is still
 * current (then null), so a periodic refresh of a large, unchanged packument costs a 304.
 */
export async function fetchPackumentIfChanged(
  upstream: string,
  name: string,
  etag: string | undefined,
  options: FetchOptions = {},
): Promise<{ packument: Packument; etag: string | null } | null> {
  const url = packumentUrl(upstream, name);
  const answer = await get(
    url,
    'application/json',
    options.timeoutMs ?? DEFAULTS.timeoutMs,
    options.maxBytes ?? DEFAULTS.packumentMaxBytes,
    etag,
  );
  if (answer === null) return null;
  const body = answer.body;
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new UpstreamError('UPSTREAM_BAD_RESPONSE', `${url} did not return JSON`, { cause: err });
  }
  if (!doc || typeof doc !== 'object' || typeof (doc as Packument).versions !== 'object' || (doc as Packument).versions === null) {
    throw new UpstreamError('UPSTREAM_BAD_RESPONSE', `${url} is not a packument (no "versions")`);
  }
  return { packument: doc as Packument, etag: answer.etag };
}

/** Fetches a tarball's bytes. */
export async function fetchTarball(url: string, options: FetchOptions = {}): Promise<Buffer> {
  return (await get(
    url,
    'application/octet-stream',
    options.timeoutMs ?? DEFAULTS.timeoutMs,
    options.maxBytes ?? DEFAULTS.tarballMaxBytes,
  ))!.body;
}
