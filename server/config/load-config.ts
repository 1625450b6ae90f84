/** The one place that reads Cordon's settings: `cordon.yaml` (or CORDON_CONFIG) overridden by CORDON_* variables. */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { validate as validateCron } from 'node-cron';
import { parse as parseYaml } from 'yaml';
import { parseApprovers, parseQuorum, SEVERITIES, type Approver, type Quorum, type QuorumSeverity } from './approvers';
import { ConfigError } from './config-error';
import { isValidPattern, type PackageRule } from './package-rules';
import { bool, duration, httpUrl, integer, invalid, mapping, oneOf, size, str, type Raw } from './parse-values';
import { parseNotify, type NotifyEndpoint } from './notify';

/** Settings after parsing and validation; frozen, so nothing downstream can change them. */
export interface CordonConfig {
  readonly host: string;
  readonly port: number;
  /** Upstream registry URL, always ending in `/`. */
  readonly upstream: string;
  /** How long Verdaccio may answer from its cached copy of an upstream packument before asking again. */
  readonly upstreamMaxAgeMs: number;
  /** Absolute folder for Verdaccio's storage and the SQLite file. */
  readonly dataDir: string;
  readonly cooldownMs: number;
  /** node-cron expression (5 or 6 fields) for the sweeper. */
  readonly sweep: string;
  readonly rules: readonly PackageRule[];
  /** Let clients publish, unpublish and change dist-tags through the mirror (off: 403). */
  readonly allowPublish: boolean;
  /** Let anyone create an account with `npm adduser` (off: 403). */
  readonly allowRegistration: boolean;
  /** Verdaccio's log level. */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'http' | 'debug' | 'trace';
  /** A finding at or above this severity holds a version for a person. */
  readonly holdAt: QuorumSeverity;
  /** PostgreSQL holding the store (CORDON_DATABASE_URL, postgres:// or postgresql://); null: the SQLite file in dataDir. */
  readonly databaseUrl: string | null;
  /** Redis for BullMQ (REDIS_URL); null runs the embedded queue. */
  readonly redisUrl: string | null;
  /** BullMQ queue name (and prefix of its keys); null: `cordon-analysis-<mirror id>` (see queueNameFor). */
  readonly queueName: string | null;
  /** Analyses run at once in this process (embedded runner, or one `npm run worker`). */
  readonly analysisConcurrency: number;
  /** Attempts per analysis before the version is held as unanalysable. */
  readonly analysisAttempts: number;
  /** Longest one analysis attempt may take. */
  readonly analysisTimeoutMs: number;
  /** Transient faults (5xx, timeouts, broken connections) are retried until they have lasted this long. */
  readonly analysisRetryForMs: number;
  /** The longest wait between two attempts of an analysis. */
  readonly analysisBackoffMaxMs: number;
  /** A version missing upstream is withdrawn only after this many answers without it … */
  readonly withdrawConfirmations: number;
  /** … spread over at least this long. */
  readonly withdrawWindowMs: number;
  /** Heap one analysis thread may use: a tarball that needs more is held with a finding, the process lives on. */
  readonly analysisMemoryBytes: number;
  /** A file larger than this is scanned as text, not parsed (8× this per analysis), and that is a finding. */
  readonly analysisParseBudgetBytes: number;
  /** After this long an analysis scans what it has not read yet as text (a finding), and finishes. */
  readonly analysisTimeBudgetMs: number;
  /** Analyses of one package at once (all runners together): a burst of one package's versions never takes every thread. */
  readonly analysisPerPackage: number;
  /** Longest the mirror waits for another process's lock on the store before failing closed (the event loop waits with it). */
  readonly storeBusyTimeoutMs: number;
  /** How long a BullMQ worker's claim on a job lasts without renewal: a killed worker's job runs again after it. */
  readonly analysisLockMs: number;
  /** A publisher pushing at least `versions` versions within `windowMs` across packages is a burst. */
  readonly burst: { readonly windowMs: number; readonly versions: number };
  /** The id decisions are bound to; null: a random one is kept in the store. */
  readonly mirrorId: string | null;
  readonly approvers: readonly Approver[];
  readonly quorum: Quorum;
  /**
   * The address people and clients reach the mirror at (ends in `/`), for links in refusals, notices,
   * notifications and the review page, and the WebAuthn origin; null: taken from the request, or from
   * host and port.
   */
  readonly publicUrl: string | null;
  /** Largest tarball the mirror downloads, serves or analyses, in bytes; a bigger one is a finding. */
  readonly maxTarballBytes: number;
  /** Longest one tarball download from upstream may take. */
  readonly tarballTimeoutMs: number;
  /** Serve https with this certificate and key (PEM files); null: plain http (behind a TLS proxy, or local). */
  readonly tls: { readonly cert: string; readonly key: string } | null;
  /** An added or widened dependency first published less than `maxAgeMs` ago, or with fewer than `minVersions` versions, is a finding. */
  readonly youngDependency: { readonly maxAgeMs: number; readonly minVersions: number };
  /** Holding a rejected or changed-bytes version's siblings by the same publisher; null: off. */
  readonly cascade: { readonly windowMs: number; readonly recall: boolean; readonly recallMs: number } | null;
  /** The file the settings came from, if any. */
  readonly configFile: string | null;
  /** Webhook endpoints told about holds, decisions and blocks (`notify:` in the file). */
  readonly notify: readonly NotifyEndpoint[];
  /** How long a stop waits for requests in flight before closing their connections. */
  readonly shutdownTimeoutMs: number;
}

export { ConfigError, type ConfigErrorCode } from './config-error';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'http', 'debug', 'trace'] as const;
const FILE_KEYS = [
  'host',
  'port',
  'upstream',
  'upstreamMaxAge',
  'dataDir',
  'cooldown',
  'sweep',
  'packages',
  'allowPublish',
  'allowRegistration',
  'logLevel',
  'holdAt',
  'redisUrl',
  'queue',
  'analysisConcurrency',
  'analysisAttempts',
  'analysisTimeout',
  'analysisLock',
  'burst',
  'mirrorId',
  'approvers',
  'quorum',
  'fastTrackQuorum',
  'publicUrl',
  'maxTarballSize',
  'tarballTimeout',
  'tls',
  'youngDependencyAge',
  'youngDependencyVersions',
  'cascade',
  'notify',
  'shutdownTimeout',
  'analysisRetryFor',
  'analysisBackoffMax',
  'withdrawConfirmations',
  'withdrawWindow',
  'analysisMemory',
  'analysisParseBudget',
  'analysisTimeBudget',
  'analysisPerPackage',
  'storeBusyTimeout',
  'databaseUrl',
];

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
    if (!FILE_KEYS.includes(key)) invalid(`${path}: ${key}`, (parsed as Raw)[key], `one of the known keys (${FILE_KEYS.join(', ')})`);
  }
  return parsed as Raw;
}

function upstreamUrl(key: string, value: unknown): string {
  const href = httpUrl(key, value);
  const url = new URL(href);
  if (url.search || url.hash) invalid(key, value, 'a URL without query or fragment');
  return href.endsWith('/') ? href : `${href}/`;
}

function publicUrl(key: string, value: unknown): string | null {
  if (value === null) return null;
  const href = httpUrl(key, value);
  const url = new URL(href);
  if (url.search || url.hash || url.username || url.password) invalid(key, value, 'an http(s) URL without query, fragment or credentials');
  return href.endsWith('/') ? href : `${href}/`;
}

function rules(key: string, value: unknown): PackageRule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return invalid(key, value, 'a list of { match, cooldown?, approval? }');
  return value.map((entry, i) => {
    const at = `${key}[${i}]`;
    const raw = mapping(at, entry, ['match', 'cooldown', 'approval']);
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
  const inFile = (key: string): string => `${key} (in ${configFile})`;
  // An env variable wins over the file; the key in messages says where the bad value came from.
  const pick = (envKey: string | null, fileKey: string, fallback: unknown): [string, unknown] => {
    const fromEnv = envKey ? env[envKey] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') return [envKey!, fromEnv];
    if (file[fileKey] !== undefined) return [inFile(fileKey), file[fileKey]];
    return [envKey ?? fileKey, fallback];
  };

  const [sweepKey, sweepValue] = pick('CORDON_SWEEP', 'sweep', '* * * * *');
  const sweep = str(sweepKey, sweepValue);
  if (!validateCron(sweep))
    invalid(sweepKey, sweepValue, 'a node-cron expression with 5 or 6 fields, e.g. "* * * * *" or "*/30 * * * * *"');
  const [redisKey, redisValue] = pick('REDIS_URL', 'redisUrl', null);
  const [databaseKey, databaseValue] = pick('CORDON_DATABASE_URL', 'databaseUrl', null);
  const [queueKey, queueValue] = pick('CORDON_QUEUE', 'queue', null);
  const dataDir = str(...pick('CORDON_DATA_DIR', 'dataDir', './data'));
  const burst = file.burst === undefined ? {} : mapping(inFile('burst'), file.burst, ['window', 'versions']);
  const [mirrorKey, mirrorValue] = pick('CORDON_MIRROR_ID', 'mirrorId', null);
  const mirrorId = mirrorValue === null ? null : str(mirrorKey, mirrorValue);
  if (mirrorId !== null && !/^[A-Za-z0-9._:-]{1,128}$/.test(mirrorId))
    invalid(mirrorKey, mirrorValue, 'letters, digits and . _ : - (at most 128)');

  return Object.freeze({
    host: str(...pick('CORDON_HOST', 'host', '127.0.0.1')),
    port: integer(...pick('CORDON_PORT', 'port', 4873), 0, 65535),
    upstream: upstreamUrl(...pick('CORDON_UPSTREAM', 'upstream', 'https://registry.npmjs.org/')),
    upstreamMaxAgeMs: duration(...pick('CORDON_UPSTREAM_MAXAGE', 'upstreamMaxAge', '2m')),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    cooldownMs: duration(...pick('CORDON_COOLDOWN', 'cooldown', '72h')),
    sweep,
    rules: Object.freeze(rules(inFile('packages'), file.packages)),
    allowPublish: bool(...pick('CORDON_ALLOW_PUBLISH', 'allowPublish', false)),
    allowRegistration: bool(...pick('CORDON_ALLOW_REGISTRATION', 'allowRegistration', false)),
    logLevel: oneOf(...pick('CORDON_LOG_LEVEL', 'logLevel', 'warn'), LOG_LEVELS),
    holdAt: oneOf(...pick('CORDON_HOLD_AT', 'holdAt', 'medium'), SEVERITIES),
    databaseUrl: databaseValue === null ? null : databaseUrl(databaseKey, databaseValue),
    redisUrl: redisValue === null ? null : httpUrl(redisKey, redisValue, ['redis:', 'rediss:']),
    queueName: queueValue === null ? null : oneOfPattern(queueKey, queueValue),
    analysisConcurrency: integer(...pick('CORDON_ANALYSIS_CONCURRENCY', 'analysisConcurrency', 2), 1, 64),
    analysisAttempts: integer(...pick('CORDON_ANALYSIS_ATTEMPTS', 'analysisAttempts', 5), 1, 100),
    analysisTimeoutMs: duration(...pick('CORDON_ANALYSIS_TIMEOUT', 'analysisTimeout', '5m')),
    analysisLockMs: duration(...pick('CORDON_ANALYSIS_LOCK', 'analysisLock', '30s')),
    analysisRetryForMs: duration(...pick('CORDON_ANALYSIS_RETRY_FOR', 'analysisRetryFor', '6h')),
    analysisBackoffMaxMs: positiveDuration(...pick('CORDON_ANALYSIS_BACKOFF_MAX', 'analysisBackoffMax', '10m')),
    withdrawConfirmations: integer(...pick('CORDON_WITHDRAW_CONFIRMATIONS', 'withdrawConfirmations', 3), 1, 1000),
    withdrawWindowMs: duration(...pick('CORDON_WITHDRAW_WINDOW', 'withdrawWindow', '30m')),
    analysisMemoryBytes: size(...pick('CORDON_ANALYSIS_MEMORY', 'analysisMemory', '1536mb'), 64 * 1024 * 1024),
    analysisParseBudgetBytes: size(...pick('CORDON_ANALYSIS_PARSE_BUDGET', 'analysisParseBudget', '16mb'), 1024),
    analysisTimeBudgetMs: positiveDuration(...pick('CORDON_ANALYSIS_TIME_BUDGET', 'analysisTimeBudget', '2m')),
    analysisPerPackage: integer(...pick('CORDON_ANALYSIS_PER_PACKAGE', 'analysisPerPackage', 1), 1, 64),
    storeBusyTimeoutMs: duration(...pick('CORDON_STORE_BUSY_TIMEOUT', 'storeBusyTimeout', '250ms')),
    burst: Object.freeze({
      windowMs: burst.window === undefined ? 10 * 60_000 : duration(inFile('burst.window'), burst.window),
      versions: burst.versions === undefined ? 10 : integer(inFile('burst.versions'), burst.versions, 2, 100_000),
    }),
    mirrorId,
    approvers: Object.freeze(parseApprovers(inFile('approvers'), file.approvers)),
    quorum: parseQuorum(inFile('quorum'), file.quorum, inFile('fastTrackQuorum'), file.fastTrackQuorum),
    publicUrl: publicUrl(...pick('CORDON_PUBLIC_URL', 'publicUrl', null)),
    maxTarballBytes: size(...pick('CORDON_MAX_TARBALL_SIZE', 'maxTarballSize', '256mb'), 1024),
    tarballTimeoutMs: duration(...pick('CORDON_TARBALL_TIMEOUT', 'tarballTimeout', '5m')),
    tls: tlsFiles(env, file.tls, inFile('tls'), cwd),
    youngDependency: Object.freeze({
      maxAgeMs: duration(...pick('CORDON_YOUNG_DEPENDENCY_AGE', 'youngDependencyAge', '30d')),
      minVersions: integer(...pick('CORDON_YOUNG_DEPENDENCY_VERSIONS', 'youngDependencyVersions', 3), 0, 1_000_000),
    }),
    cascade: cascadeSettings(inFile('cascade'), file.cascade),
    configFile: existsSync(configFile) ? configFile : null,
    notify: Object.freeze(parseNotify(inFile, file.notify, env)),
    shutdownTimeoutMs: duration(...pick('CORDON_SHUTDOWN_TIMEOUT', 'shutdownTimeout', '10s')),
  });
}

/** `cascade: { window: 48h, recall: false, recallWindow: 7d }`, or `cascade: false` to turn it off. */
function cascadeSettings(key: string, value: unknown): CordonConfig['cascade'] {
  if (value === false) return null;
  const raw = value === undefined || value === null ? {} : mapping(key, value, ['window', 'recall', 'recallWindow']);
  return Object.freeze({
    windowMs: raw.window === undefined ? 48 * 3_600_000 : duration(`${key}.window`, raw.window),
    recall: raw.recall === undefined ? false : bool(`${key}.recall`, raw.recall),
    recallMs: raw.recallWindow === undefined ? 7 * 86_400_000 : duration(`${key}.recallWindow`, raw.recallWindow),
  });
}

/**
 * The BullMQ queue of a mirror: the configured one, else one named after the mirror, so that mirrors
 * sharing a Redis never share a queue by default.
 */
export function queueNameFor(config: Pick<CordonConfig, 'queueName'>, mirrorId: string): string {
  return config.queueName ?? `cordon-analysis-${mirrorId.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** `tls: { cert, key }` (or CORDON_TLS_CERT and CORDON_TLS_KEY): both PEM files, existing; or neither. */
function tlsFiles(env: NodeJS.ProcessEnv, value: unknown, key: string, cwd: string): { cert: string; key: string } | null {
  const raw = value === undefined || value === null ? {} : mapping(key, value, ['cert', 'key']);
  const cert = env.CORDON_TLS_CERT || raw.cert;
  const keyFile = env.CORDON_TLS_KEY || raw.key;
  if (cert === undefined && keyFile === undefined) return null;
  const file = (name: string, v: unknown): string => {
    const path = resolve(cwd, str(name, v));
    if (!existsSync(path)) invalid(name, v, 'the path of an existing PEM file');
    return path;
  };
  if (cert === undefined || keyFile === undefined)
    return invalid(
      cert === undefined ? 'CORDON_TLS_CERT / tls.cert' : 'CORDON_TLS_KEY / tls.key',
      null,
      'set together with the other half: tls needs both cert and key',
    );
  return Object.freeze({
    cert: file(env.CORDON_TLS_CERT ? 'CORDON_TLS_CERT' : `${key}.cert`, cert),
    key: file(env.CORDON_TLS_KEY ? 'CORDON_TLS_KEY' : `${key}.key`, keyFile),
  });
}

function positiveDuration(key: string, value: unknown): number {
  const ms = duration(key, value);
  return ms > 0 ? ms : invalid(key, value, 'a duration longer than 0, such as 10m');
}

/** A postgres:// or postgresql:// URL, kept as written (the driver parses it); a bad one is named without its password. */
function databaseUrl(key: string, value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // Reported below.
  }
  if (url === null || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || !url.hostname) {
    if (url?.password) url.password = '***';
    // Whatever is not a URL with a host may hold a password in any place: it is not repeated.
    return invalid(
      key,
      url?.hostname ? url.href : typeof value === 'string' ? '(not a URL with a host)' : value,
      'a postgres:// or postgresql:// URL with a host, such as postgres://cordon@db.internal:5432/cordon',
    );
  }
  return text;
}

function oneOfPattern(key: string, value: unknown): string {
  const name = str(key, value);
  return /^[A-Za-z0-9_-]{1,64}$/.test(name) ? name : invalid(key, value, 'letters, digits, _ and - (at most 64)');
}
