/** JSON from the mirror's API; a refusal becomes an ApiError with the mirror's code and message. */
import { apiPath } from './paths.js';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiPath(path), {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('MIRROR_UNREACHABLE', 'The mirror cannot be reached. Check your connection and reload.', 0);
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new ApiError('MIRROR_BAD_RESPONSE', `The mirror answered ${res.status} without JSON.`, res.status);
  }
  if (!res.ok) {
    const { code, error } = (json ?? {}) as { code?: unknown; error?: unknown };
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(
      typeof code === 'string' ? code : 'HTTP_ERROR',
      typeof error === 'string' ? error : `The mirror answered ${res.status}.`,
      res.status,
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
  }
  return json as T;
}

export const get = <T>(path: string, query: Record<string, string> = {}): Promise<T> => {
  const q = new URLSearchParams(query).toString();
  return call<T>('GET', q ? `${path}?${q}` : path);
};
export const post = <T>(path: string, body: unknown): Promise<T> => call<T>('POST', path, body);
