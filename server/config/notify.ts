/** The `notify:` list of the config file: webhook endpoints, the events each wants, how to sign and format. */
import { createHash } from 'node:crypto';
import { isNotifyEvent, NOTIFY_EVENTS, type NotifyEvent } from '../notify/events';
import { duration, httpUrl, invalid, mapping, oneOf, str } from './parse-values';

export const NOTIFY_FORMATS = ['json', 'slack'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/** One webhook endpoint. */
export interface NotifyEndpoint {
  /** Names the endpoint in logs and metrics; never the URL, which may itself be a secret (Slack). */
  readonly name: string;
  readonly url: string;
  readonly events: readonly NotifyEvent[];
  /** HMAC-SHA256 key for the signature header; null sends none (allowed for `slack` only). */
  readonly secret: string | null;
  readonly format: NotifyFormat;
  /** Longest one delivery attempt may take. */
  readonly timeoutMs: number;
  /** Stable id of the endpoint in the outbox (from URL and format), so a restart resumes its deliveries. */
  readonly key: string;
}

const KEYS = ['url', 'events', 'secret', 'secretEnv', 'format', 'name', 'timeout'];
const MIN_SECRET = 16;

/** Parses `notify:`; `where` names a key with the file it is in; `env` supplies secrets named by `secretEnv`. */
export function parseNotify(where: (key: string) => string, value: unknown, env: NodeJS.ProcessEnv): NotifyEndpoint[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return invalid(where('notify'), value, 'a list of { url, events, secret, format }');
  const names = new Set<string>();
  return value.map((entry, i) => {
    const key = (field: string): string => where(`notify[${i}].${field}`);
    if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
      for (const k of Object.keys(entry))
        if (!KEYS.includes(k)) invalid(key(k), (entry as Record<string, unknown>)[k], `one of ${KEYS.join(', ')}`);
    }
    const raw = mapping(where(`notify[${i}]`), entry, KEYS);
    const url = httpUrl(key('url'), raw.url);
    const parsed = new URL(url);
    if (parsed.username || parsed.password || parsed.hash) invalid(key('url'), raw.url, 'an http(s) URL without credentials or fragment');
    const format = raw.format === undefined ? 'json' : oneOf(key('format'), raw.format, NOTIFY_FORMATS);
    const events = raw.events === undefined ? [...NOTIFY_EVENTS] : eventList(key('events'), raw.events);
    const secret = secretOf(key, raw, env);
    if (secret === null && format === 'json')
      invalid(
        key('secret'),
        raw.secret,
        `a shared secret of at least ${MIN_SECRET} characters (or secretEnv naming a variable that holds one): receivers must be able to check what they get`,
      );
    const name = raw.name === undefined ? parsed.host : str(key('name'), raw.name);
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(name)) invalid(key('name'), raw.name ?? name, 'letters, digits and . _ : - (at most 64)');
    if (names.has(name))
      invalid(key('name'), raw.name ?? name, 'a name no other endpoint has (two endpoints on one host need a name each)');
    names.add(name);
    const timeoutMs = raw.timeout === undefined ? 10_000 : duration(key('timeout'), raw.timeout);
    if (timeoutMs < 1 || timeoutMs > 60_000) invalid(key('timeout'), raw.timeout, 'a duration from 1ms to 60s');
    const endpointKey = createHash('sha256').update(`${format}\n${url}`).digest('hex').slice(0, 24);
    return Object.freeze({ name, url, events: Object.freeze(events), secret, format, timeoutMs, key: endpointKey });
  });
}

function eventList(key: string, value: unknown): NotifyEvent[] {
  if (!Array.isArray(value) || value.length === 0) return invalid(key, value, `a non-empty list of ${NOTIFY_EVENTS.join(', ')}`);
  for (const e of value) if (!isNotifyEvent(e)) invalid(key, e, `one of ${NOTIFY_EVENTS.join(', ')}`);
  return [...new Set(value as NotifyEvent[])];
}

function secretOf(key: (field: string) => string, raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string | null {
  if (raw.secret !== undefined && raw.secretEnv !== undefined)
    invalid(key('secretEnv'), raw.secretEnv, 'either secret or secretEnv, not both');
  let secret: string;
  if (raw.secretEnv !== undefined) {
    const variable = str(key('secretEnv'), raw.secretEnv);
    const fromEnv = env[variable];
    // The value itself is never echoed: it is a secret.
    if (fromEnv === undefined || fromEnv === '')
      invalid(key('secretEnv'), variable, `the name of a set environment variable (${variable} is not set)`);
    secret = fromEnv;
  } else if (raw.secret !== undefined) {
    if (typeof raw.secret !== 'string') invalid(key('secret'), '(hidden)', 'a string');
    secret = raw.secret;
  } else {
    return null;
  }
  if (secret.length < MIN_SECRET)
    invalid(raw.secretEnv !== undefined ? key('secretEnv') : key('secret'), '(hidden)', `a secret of at least ${MIN_SECRET} characters`);
  return secret;
}
