/** The CLI's view of a Cordon mirror's API (`--registry`, CORDON_URL, the settings in the working folder, or http://127.0.0.1:4873). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CordonError } from '../errors';
import { UsageError } from './error-text';
import { parseSpec } from './analyze';
import type { AuditEntry, StoredDecision } from '../../storage';
import type { ApprovalStatus } from '../approvals/approval-service';
import type { Statement } from '../approvals/statement';
import type { StoredFinding } from '../../storage';
import type { Transition } from '../../storage';
import type { VersionDiff } from '../review/diff-types';
import { loadConfig } from '../config';
import { mirrorBaseUrl } from '../http/links';

export const DEFAULT_URL = 'http://127.0.0.1:4873';

/** An answer of the mirror that is not a success: `code` is the mirror's own, or MIRROR_* for transport failures. */
export class MirrorError extends CordonError<string> {
  constructor(
    code: string,
    message: string,
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

type Dated<T, K extends keyof T> = Omit<T, K> & { [P in K]: string | null };
export type StatusJson = Dated<ApprovalStatus, 'cooldownEndsAt' | 'releaseAt'>;
export type DecisionJson = Dated<StoredDecision, 'issuedAt' | 'acceptedAt'>;

/** One version in the package status API. */
export interface PackageVersionJson {
  version: string;
  state: string;
  visible: boolean;
  publishedAt: string | null;
  firstSeenAt: string | null;
  releaseAt: string | null;
  reason: string;
}

export interface FindingsJson {
  now: string;
  status: StatusJson;
  analysis: {
    previousVersion: string | null;
    findings: StoredFinding[];
    digest: string;
    maxSeverity: string | null;
    analyzerVersion: string;
    finishedAt: string;
  } | null;
  diff: VersionDiff | null;
  diffError?: { code: string; error: string };
}

/**
 * The mirror's base URL, always without a trailing slash: `--registry`, then CORDON_URL, then the
 * settings in the working folder (cordon.yaml or CORDON_CONFIG, CORDON_HOST/CORDON_PORT, publicUrl),
 * which without any of them are the default http://127.0.0.1:4873.
 */
export function mirrorUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const raw = flag || env.CORDON_URL || fromSettings(env, cwd);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MirrorError(
      'MIRROR_URL_INVALID',
      `${JSON.stringify(raw)} is not a URL; pass --registry http://host:4873 or set CORDON_URL.`,
      null,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new MirrorError('MIRROR_URL_INVALID', `${raw} is not an http(s) URL; pass --registry http://host:4873 or set CORDON_URL.`, null);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/+$/, '');
}

/** Where the settings say the mirror listens (read only through server/config). */
function fromSettings(env: NodeJS.ProcessEnv, cwd: string): string {
  try {
    return mirrorBaseUrl(loadConfig(env, cwd));
  } catch (err) {
    throw new MirrorError(
      'MIRROR_URL_INVALID',
      `cannot tell where the mirror is from the settings in ${cwd}: ${(err as Error).message}. Pass --registry http://host:4873 or set CORDON_URL`,
      null,
      { cause: err },
    );
  }
}

export class CordonClient {
  constructor(readonly baseUrl: string) {}

  /** GET any Cordon API path (`/passkeys`, `/approvals/mirror`, `/packages/x`, …). */
  get<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    return this.request('GET', path, query, undefined, '');
  }

  /** POST JSON to any Cordon API path. */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.request('POST', path, {}, body, '');
  }

  /** A call to `/-/cordon/api/v1<prefix><path>`: the JSON answer, or a MirrorError with the mirror's code. */
  private async request<T>(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string> = {},
    body?: unknown,
    prefix = '/approvals',
  ): Promise<T> {
    const url = new URL(`${this.baseUrl}/-/cordon/api/v1${prefix}${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      throw new MirrorError('MIRROR_UNREACHABLE', `cannot reach the Cordon mirror at ${this.baseUrl}`, null, { cause: err });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MirrorError(
        'MIRROR_BAD_RESPONSE',
        `${this.baseUrl} answered ${res.status} without JSON; is it a Cordon mirror?`,
        res.status,
      );
    }
    if (!res.ok) {
      const { error, code } = (json ?? {}) as { error?: unknown; code?: unknown };
      throw new MirrorError(
        typeof code === 'string' ? code : 'MIRROR_HTTP_ERROR',
        typeof error === 'string' ? error : `the mirror answered ${res.status}`,
        res.status,
      );
    }
    return json as T;
  }

  statement(
    name: string,
    version: string,
    decision: 'approve' | 'reject',
    reason: string,
    key: string,
  ): Promise<{ statement: Statement; text: string; expiresAt: string }> {
    return this.request('GET', '/statement', { package: name, version, decision, reason, key });
  }

  submit(
    name: string,
    version: string,
    statement: string,
    signature: string,
  ): Promise<{ accepted: DecisionJson; transition: Transition | null; status: StatusJson }> {
    return this.request('POST', '/decisions', {}, { package: name, version, statement, signature });
  }

  decisions(name: string, version: string): Promise<{ status: StatusJson; decisions: DecisionJson[] }> {
    return this.request('GET', '/decisions', { package: name, version });
  }

  /** Every waiting version, page after page. */
  async queue(): Promise<{ now: string; versions: StatusJson[] }> {
    const versions: StatusJson[] = [];
    let now = '';
    for (let after: string | null = ''; after !== null; ) {
      const page: { now: string; versions: StatusJson[]; next?: string | null } = await this.request('GET', '/queue', {
        limit: '500',
        ...(after ? { after } : {}),
      });
      now ||= page.now;
      versions.push(...page.versions);
      after = page.next ?? null;
    }
    return { now, versions };
  }

  findings(name: string, version: string, unified: boolean): Promise<FindingsJson> {
    return this.request('GET', '/findings', { package: name, version, files: '1', ...(unified ? { unified: '1' } : {}) });
  }

  /** The mirror's id and its approvers (names and keys). */
  mirror(): Promise<{ mirrorId: string; approvers: Array<{ name: string; key: string }> }> {
    return this.request('GET', '/mirror');
  }

  /** What the mirror knows about every version of a package. */
  packageStatus(name: string): Promise<{ name: string; versions: PackageVersionJson[] }> {
    return this.get(`/packages/${name.replace('/', '%2f')}`);
  }

  /** The client settings of `cordon policy export`, rendered by the mirror. */
  policyExport(format: string, bothGates: boolean): Promise<{ format: string; file: string; content: string }> {
    return this.get('/policy/export', { format, ...(bothGates ? { bothGates: '1' } : {}) });
  }

  /** Every audit entry, oldest first, and the head the mirror reported. */
  async audit(): Promise<{ entries: AuditEntry[]; head: { id: number; hash: string } | null }> {
    const entries: AuditEntry[] = [];
    let after = 0;
    let head: { id: number; hash: string } | null = null;
    for (;;) {
      const page = await this.request<{ entries: AuditEntry[]; head: { id: number; hash: string } | null; next: number | null }>(
        'GET',
        '/audit',
        { after: String(after), limit: '1000' },
      );
      entries.push(...page.entries);
      head ??= page.head;
      if (page.next === null) return { entries, head };
      after = page.next;
    }
  }
}

/** Options every approvals command takes. */
export const COMMON_OPTIONS = { registry: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** node:util parseArgs that throws UsageError instead of its own errors. */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError('USAGE', (err as Error).message);
  }
}

/** `pkg@1.2.3` / `@scope/pkg@1.2.3` → name and version, or a usage error. */
export function versionSpec(arg: string | undefined): { name: string; version: string } {
  const spec = arg ? parseSpec(arg) : null;
  if (!spec)
    throw new UsageError(
      'USAGE',
      `expected a package and version like lodash@4.17.21 or @scope/name@1.0.0${arg ? `, got ${JSON.stringify(arg)}` : ''}`,
    );
  return spec;
}
