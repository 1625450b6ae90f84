/**
 * The one composition root. `assemble(config)` opens the store (SQLite by default, PostgreSQL with
 * CORDON_DATABASE_URL) and builds every service over its ports, once; `npm start`, the plugins inside a
 * stock Verdaccio and the CLI all get their runtime here. Consumers take only the slices they use
 * (`Pick<CordonRuntime, …>`), never the store's connection.
 *
 * A BullMQ worker (`npm run worker`) needs no store: `assembleWorker` builds what it uses.
 *
 * The two plugins of one Verdaccio must share one runtime (one store, one sweeper, one pipeline), and
 * Verdaccio builds them from plain settings: so the runtimes built here are kept by key (one per data
 * folder) until they close, and `pluginRuntime` finds the one `npm start` built, or builds it.
 */
import { loadConfig, type CordonConfig } from './config';
import { systemClock, type Clock } from './clock';
import { consoleLogger, type Logger } from './logger';
import { dataPaths } from '../storage';
import type { Store } from '../storage/ports';
import { openStore } from '../storage/open-store';
import { WithdrawalWatch } from './quarantine/withdrawal-watch';
import { QuarantineService } from './quarantine/quarantine-service';
import { CascadeService } from './quarantine/cascade-service';
import { ApprovalService } from './approvals/approval-service';
import { resolveMirrorId } from './approvals/mirror-id';
import { BlobStore } from './blobs/blob-store';
import { storedVersionBytes } from './upstream/version-bytes';
import { PasskeyService } from './passkeys/passkey-service';
import { createDiffService, type DiffService } from './review/diff-service';
import { createOperations, type Operations } from './ops/operations';
import { queueNameFor } from './config';
import { redisConnection } from './pipeline/bullmq-connection';
import { analysisThreadLimits, ThreadPool } from './pipeline/thread-pool';

export interface CordonRuntime {
  /** The key the plugins find this runtime by (see `pluginRuntime`). */
  readonly id: string;
  readonly config: CordonConfig;
  /** The id decisions and analysis questions are bound to: configured, or generated once and kept in the store. */
  readonly mirrorId: string;
  readonly clock: Clock;
  /** Every read and write of state, through the ports of storage/ports.ts. */
  readonly store: Store;
  readonly quarantine: QuarantineService;
  /** The content-addressed store of verified tarball bytes, which serving and analysis share. */
  readonly blobs: BlobStore;
  /** Signed decisions: statements, acceptance, quorum, the waiting queue. */
  readonly approvals: ApprovalService;
  /** Passkeys bound to approvers: enrollment links, registration, assertions. */
  readonly passkeys: PasskeyService;
  /** File diffs for review pages: cached, rate-limited, built on a worker thread. */
  readonly diffs: DiffService;
  /** Where Cordon's own lines go: Verdaccio's logger under `npm start` and in a stock Verdaccio. */
  readonly logger: Logger;
  /** Metrics, refusal counts, readiness. */
  readonly ops: Operations;
  /** True when the runtime was built by a plugin (stock Verdaccio): the guard plugin then runs the sweeper. */
  readonly ownedByPlugins: boolean;
  /** Runs `fn` when the runtime closes, before the store closes (the plugin-owned sweeper uses it). */
  onClose(fn: () => void | Promise<void>): void;
  close(): Promise<void>;
}

export interface AssembleOptions {
  readonly clock?: Clock;
  /** The key the plugins find it by; default one per data folder. */
  readonly id?: string;
  readonly ownedByPlugins?: boolean;
  readonly logger?: Logger;
}

/** Runtimes being built or open, by key, for the plugins of the same process to share. */
const shared = new Map<string, Promise<CordonRuntime>>();

/** The key of the runtime of a data folder. */
export function runtimeKey(config: Pick<CordonConfig, 'dataDir'>): string {
  return `cordon:${config.dataDir}`;
}

/** Builds the runtime of `config` (or answers the one already built under the same key in this process). */
export function assemble(config: CordonConfig, options: AssembleOptions = {}): Promise<CordonRuntime> {
  const id = options.id ?? runtimeKey(config);
  const existing = shared.get(id);
  if (existing) return existing;
  const forget = (): void => {
    if (shared.get(id) === building) shared.delete(id);
  };
  const building = build(config, id, options, forget);
  shared.set(id, building);
  building.catch(forget);
  return building;
}

async function build(config: CordonConfig, id: string, options: AssembleOptions, forget: () => void): Promise<CordonRuntime> {
  // The store claims the data folder, checks its identity and keeps the identity file in step.
  const store = await openStore(config);
  let mirrorId: string;
  try {
    mirrorId = await resolveMirrorId(config.mirrorId, store.approvals);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? consoleLogger;
  const closers: Array<() => void | Promise<void>> = [];
  const cascade = new CascadeService(store.versions, store.analyses, config.cascade);
  const withdrawalSettings = { confirmations: config.withdrawConfirmations, windowMs: config.withdrawWindowMs };
  const withdrawals = new WithdrawalWatch(store.withdrawals, withdrawalSettings);
  const quarantine = new QuarantineService(
    store,
    { cooldownMs: config.cooldownMs, rules: config.rules, mirrorId, upstream: config.upstream },
    withdrawals,
    cascade,
  );
  const approvals = new ApprovalService({
    config,
    mirrorId,
    clock,
    store,
    quarantine,
    cascade: config.cascade,
    withdrawals: withdrawalSettings,
  });
  const blobs = new BlobStore(dataPaths(config.dataDir).blobs, { maxBytes: config.maxTarballBytes, timeoutMs: config.tarballTimeoutMs });
  // Reviewers see the bytes the mirror pinned and serves, read from the verified store.
  const diffs = createDiffService(config, {
    loadVersionBytes: storedVersionBytes(blobs, (name, version) => store.versions.versionOf(name, version), config.upstream),
  });
  closers.push(() => diffs.close());
  const ops = createOperations({ config, store, clock, logger, quarantine });
  let closing: Promise<void> | null = null;
  const runtime: CordonRuntime = {
    id,
    config,
    mirrorId,
    clock,
    store,
    quarantine,
    blobs,
    approvals,
    passkeys: new PasskeyService({ config, clock, store, mirrorId }),
    diffs,
    logger,
    ops,
    ownedByPlugins: options.ownedByPlugins ?? false,
    onClose(fn) {
      closers.push(fn);
    },
    close() {
      closing ??= (async () => {
        forget();
        for (const fn of closers.splice(0)) {
          try {
            await fn();
          } catch (err) {
            logger.error({ err: (err as Error)?.message }, 'cordon: error while stopping a part of the mirror');
          }
        }
        await ops.close();
        await store.close();
      })();
      return closing;
    },
  };
  return runtime;
}

/** Closes every runtime this process built (tests, and a stock Verdaccio shutting down). */
export async function closeAllRuntimes(): Promise<void> {
  const open = [...shared.values()];
  shared.clear();
  await Promise.all(
    open.map((p) =>
      p.then(
        (r) => r.close(),
        () => undefined,
      ),
    ),
  );
}

/** Settings a plugin entry in Verdaccio's config may carry. */
export interface PluginSettings {
  /** Key of a runtime built by `npm start` (or a test) in this process. */
  runtime?: string;
  /** Path of a cordon.yaml; otherwise CORDON_CONFIG / ./cordon.yaml and the CORDON_* variables apply. */
  config?: string;
}

/** The runtime a plugin works with: the one named in its settings, or one built from them (a stock Verdaccio). */
export function pluginRuntime(settings: PluginSettings | undefined, logger: Logger): Promise<CordonRuntime> {
  if (settings?.runtime) {
    const found = shared.get(settings.runtime);
    if (!found)
      return Promise.reject(
        new Error(`cordon: no runtime "${settings.runtime}" in this process; start Cordon with "npm start" or drop the runtime setting`),
      );
    return found;
  }
  const env = settings?.config ? { ...process.env, CORDON_CONFIG: settings.config } : process.env;
  let config: CordonConfig;
  try {
    config = loadConfig(env);
  } catch (err) {
    return Promise.reject(err);
  }
  return assemble(config, { ownedByPlugins: true, logger });
}

/** What a BullMQ worker process works with: the mirror's queue, its verified bytes, Redis and the analysis threads. */
export interface WorkerRuntime {
  readonly config: CordonConfig;
  readonly queueName: string;
  /** The worker's verified store (the mirror's, on a shared volume, or its own). */
  readonly blobsDir: string;
  readonly connection: ReturnType<typeof redisConnection>;
  readonly pool: ThreadPool;
  close(): Promise<void>;
}

/** Builds the worker's runtime for `config`, which names Redis and the queue (the caller has checked both). */
export function assembleWorker(config: CordonConfig & { readonly redisUrl: string }): WorkerRuntime {
  const connection = redisConnection(config.redisUrl);
  const pool = new ThreadPool(config.analysisConcurrency, undefined, analysisThreadLimits(config));
  return {
    config,
    queueName: queueNameFor(config, config.mirrorId ?? ''),
    blobsDir: dataPaths(config.dataDir).blobs,
    connection,
    pool,
    async close() {
      await pool.close();
      await connection.quit();
    },
  };
}
