/** The one place that reads Cordon's settings: `cordon.yaml` (or CORDON_CONFIG) overridden by CORDON_* variables. */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { validate as validateCron } from 'node-cron';
import { parse as parseYaml } from 'yaml';
import { CordonError } from '../errors';
import { parseDuration } from './duration';
import { isValidPattern, type PackageRule } from './package-rules';

/** Settings after parsing and validation; frozen, so nothing downstream can change them. */
export interface CordonConfig {
  readonly host: string;
  readonly port: number;
  /** Upstream registry URL, always ending in `/`. */
  readonly upstream: string;
  /** Absolute folder for Verdaccio's storage and the SQLite file. */
  readonly dataDir: string;
  readonly cooldownMs: number;
  /** How long Verdaccio may answer from its cached copy of an upstream packument before asking again. */
  readonly upstreamMaxAgeMs: number;
  /** node-cron expression (5 or 6 fields) for the sweeper. */
  readonly sweep: string;
  readonly rules: readonly PackageRule[];
  /** Let clients publish, unpublish and change dist-tags through the mirror (off: 403). */
  readonly allowPublish: boolean;
  /** Let anyone create an account with `npm adduser` (off: 403). */
  readonly allowRegistration: boolean;
  /** Verdaccio's log level. */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'http' | 'debug' | 'trace';
  /** The file the settings came from, if any. */
  readonly configFile: string | null;
}

export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_UNREADABLE';

/** A setting that cannot be used; the message names the key and the value. */
export class ConfigError extends CordonError<ConfigErrorCode> {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'http', 'debug', 'trace'] as const;
const FILE_KEYS = new Set(['host', 'port', 'upstream', 'upstreamMaxAge', 'dataDir', 'cooldown', 'sweep', 'packages', 'allowPublish', 'allowRegistration', 'logLevel']);

type Raw = Record<string, unknown>;

function invalid(key: string, value: unknown, expected: string): never {
  throw new ConfigError('CONFIG_INVALID', `Invalid setting ${key}=${JSON.stringify(value)}: expected ${expected}.`);
}

function readFile(path: string, explicit: boolean): Raw {
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError('CONFIG_UNREADABLE', `CORDON_CONFIG=${path}: no such file. Create it or unset CORDON_CONFIG.`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `Cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) invalid(path, parsed, 'a YAML mapping at the top level');
  for (const key of Object.keys(parsed as Raw)) {
    if (!FILE_KEYS.has(key)) invalid(`${path}: ${key}`, (parsed as Raw)[key], `one of the known keys (${[...FILE_KEYS].join(', ')})`);
  }
  return parsed as Raw;
}

function str(key: string, value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number') return String(value);
  return invalid(key, value, 'a non-empty string');
}

function bool(key: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return invalid(key, value, 'true or false');
}

function duration(key: string, value: unknown): number {
  const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : null;
  return ms ?? invalid(key, value, 'a duration such as 90s, 30m, 72h, 7d, or 0');
}

function port(key: string, value: unknown): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : invalid(key, value, 'a port number from 0 to 65535');
}

function upstreamUrl(key: string, value: unknown): string {
  const text = str(key, value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(key, value, 'an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') invalid(key, value, 'an http(s) URL');
  if (url.search || url.hash) invalid(key, value, 'a URL without query or fragment');
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

function rules(key: string, value: unknown): PackageRule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return invalid(key, value, 'a list of { match, cooldown?, approval? }');
  return value.map((entry, i) => {
    const at = `${key}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return invalid(at, entry, 'a mapping');
    const raw = entry as Raw;
    for (const k of Object.keys(raw)) {
      if (!['match', 'cooldown', 'approval'].includes(k)) invalid(`${at}.${k}`, raw[k], 'one of match, cooldown, approval');
    }
    const match = str(`${at}.match`, raw.match);
    if (!isValidPattern(match)) invalid(`${at}.match`, raw.match, 'a package name, scope (@acme/*) or glob');
    const rule: { match: string; cooldownMs?: number; approval?: 'always' } = { match };
    if (raw.cooldown !== undefined) rule.cooldownMs = duration(`${at}.cooldown`, raw.cooldown);
    if (raw.approval !== undefined) {
      if (raw.approval !== 'always') invalid(`${at}.approval`, raw.approval, '"always"');
      rule.approval = 'always';
    }
    return Object.freeze(rule);
  });
}

/** Reads and validates the settings; throws ConfigError naming the first bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): CordonConfig {
  const explicit = env.CORDON_CONFIG !== undefined && env.CORDON_CONFIG !== '';
  const configFile = resolve(cwd, explicit ? env.CORDON_CONFIG! : 'cordon.yaml');
  const file = readFile(configFile, explicit);
  const fromFile = existsSync(configFile) ? configFile : null;
  // An env variable wins over the file; the key in messages says where the bad value came from.
  const pick = (envKey: string, fileKey: string, fallback: unknown): [string, unknown] => {
    const fromEnv = env[envKey];
    if (fromEnv !== undefined && fromEnv !== '') return [envKey, fromEnv];
    if (file[fileKey] !== undefined) return [`${fileKey} (in ${configFile})`, file[fileKey]];
    return [fileKey, fallback];
  };

  const host = str(...pick('CORDON_HOST', 'host', '127.0.0.1'));
  const portValue = port(...pick('CORDON_PORT', 'port', 4873));
  const upstream = upstreamUrl(...pick('CORDON_UPSTREAM', 'upstream', 'https://registry.npmjs.org/'));
  const upstreamMaxAgeMs = duration(...pick('CORDON_UPSTREAM_MAXAGE', 'upstreamMaxAge', '2m'));
  const dataDirRaw = str(...pick('CORDON_DATA_DIR', 'dataDir', './data'));
  const cooldownMs = duration(...pick('CORDON_COOLDOWN', 'cooldown', '72h'));
  const [sweepKey, sweepValue] = pick('CORDON_SWEEP', 'sweep', '* * * * *');
  const sweep = str(sweepKey, sweepValue);
  if (!validateCron(sweep)) invalid(sweepKey, sweepValue, 'a node-cron expression with 5 or 6 fields, e.g. "* * * * *" or "*/30 * * * * *"');
  const [logKey, logValue] = pick('CORDON_LOG_LEVEL', 'logLevel', 'warn');
  const logLevel = str(logKey, logValue) as CordonConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) invalid(logKey, logValue, LOG_LEVELS.join(', '));

  return Object.freeze({
    host,
    port: portValue,
    upstream,
    upstreamMaxAgeMs,
    dataDir: isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw),
    cooldownMs,
    sweep,
    rules: Object.freeze(rules(`packages (in ${configFile})`, file.packages)),
    allowPublish: bool(...pick('CORDON_ALLOW_PUBLISH', 'allowPublish', false)),
    allowRegistration: bool(...pick('CORDON_ALLOW_REGISTRATION', 'allowRegistration', false)),
    logLevel,
    configFile: fromFile,
  });
}
