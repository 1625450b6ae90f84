/** Parsers for single setting values; each error names the key and the value it got. */
import { ConfigError } from './config-error';
import { parseDuration } from './duration';

export type Raw = Record<string, unknown>;

export function invalid(key: string, value: unknown, expected: string): never {
  throw new ConfigError('CONFIG_INVALID', `Invalid setting ${key}=${JSON.stringify(value)}: expected ${expected}.`);
}

export function str(key: string, value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number') return String(value);
  return invalid(key, value, 'a non-empty string');
}

export function bool(key: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return invalid(key, value, 'true or false');
}

export function duration(key: string, value: unknown): number {
  const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : null;
  return ms ?? invalid(key, value, 'a duration such as 90s, 30m, 72h, 7d, or 0');
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 };

/** A size in bytes: a whole number, or with a unit (`200mb`, `1gb`, `512kb`; powers of 1024). */
export function size(key: string, value: unknown, min = 1): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?)?\s*$/i.exec(String(value));
  const bytes = match ? Math.round(Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]!) : NaN;
  return Number.isSafeInteger(bytes) && bytes >= min ? bytes : invalid(key, value, 'a size such as 200mb, 1gb or 512kb');
}

export function integer(key: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : invalid(key, value, `a whole number from ${min} to ${max}`);
}

export function oneOf<T extends string>(key: string, value: unknown, options: readonly T[]): T {
  return options.includes(value as T) ? (value as T) : invalid(key, value, `one of ${options.join(', ')}`);
}

export function httpUrl(key: string, value: unknown, protocols: readonly string[] = ['http:', 'https:']): string {
  const text = str(key, value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(key, value, `an absolute ${protocols.join('/')} URL`);
  }
  if (!protocols.includes(url.protocol)) invalid(key, value, `a ${protocols.join('/')} URL`);
  return url.href;
}

export function mapping(key: string, value: unknown, allowed: readonly string[]): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalid(key, value, 'a mapping');
  for (const k of Object.keys(value)) if (!allowed.includes(k)) invalid(`${key}.${k}`, (value as Raw)[k], `one of ${allowed.join(', ')}`);
  return value as Raw;
}
