/**
 * The shared state of one Cordon instance (settings, store, policy service, clock). `npm start` builds it
 * and hands its id to the plugins; a stock Verdaccio that loads the plugins without one gets one built
 * from the plugin's settings, shared by both plugins through this module.
 */
import { loadConfig, type CordonConfig } from './config';
import { systemClock, type Clock } from './clock';
import { consoleLogger, type Logger } from './logger';
import { AnalysisStore, ApprovalStore, claimDataFolder, dataPaths, IdentityKeeper, JobStore, openDataFolder, PasskeyStore, VersionStore, WithdrawalStore, type Db } from '../storage';
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

export interface CordonRuntime {
  readonly id: string;
  readonly config: CordonConfig;
  /** The id decisions and analysis questions are bound to: configured, or generated once and kept in the store. */
  readonly mirrorId: string;
  readonly clock: Clock;
  readonly db: Db;
  readonly store: VersionStore;
  readonly analyses: AnalysisStore;
  readonly jobs: JobStore;
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
  /** Metrics, refusal counts, readiness, the notification outbox. */
  readonly ops: Operations;
  /** True when the runtime was built by a plugin (stock Verdaccio): the guard plugin then runs the sweeper. */
  readonly ownedByPlugins: boolean;
  /** Runs `fn` when the runtime closes (the plugin-owned sweeper uses it). */
  onClose(fn: () => void): void;
  close(): void;
}

const runtimes = new Map<string, CordonRuntime>();

/** The SQLite file inside a data folder. */
export function databaseFile(dataDir: string): string {
  return dataPaths(dataDir).store;
}

/** How often the data folder's identity file catches up with the store's audit head. */
const IDENTITY_SYNC_MS = 200;

/** Opens the store and builds the services for `config`, registered under `id`. */
export function createRuntime(config: CordonConfig, options: { clock?: Clock; id?: string; ownedByPlugins?: boolean; logger?: Logger } = {}): CordonRuntime {
  const id = options.id ?? `cordon:${config.dataDir}`;
  const existing = runtimes.get(id);
  if (existing) return existing;
  const claim = claimDataFolder(config.dataDir);
  let opened: ReturnType<typeof openDataFolder>;
  try {
    opened = openDataFolder(config.dataDir);
  } catch (err) {
    claim.release();
    throw err;
  }
  const { db, identity } = opened;
  // Every statement on the event loop waits at most this long for another process's lock, then fails closed.
  db.pragma(`busy_timeout = ${config.storeBusyTimeoutMs}`);
  const keeper = new IdentityKeeper(config.dataDir, db, identity);
  const store = new VersionStore(db);
  const approvalStore = new ApprovalStore(db);
  const mirrorId = resolveMirrorId(config.mirrorId, approvalStore);
  const closers: Array<() => void> = [];
  const analyses = new AnalysisStore(db);
  const cascade = new CascadeService(store, analyses, config.cascade);
  const withdrawals = new WithdrawalWatch(new WithdrawalStore(db), { confirmations: config.withdrawConfirmations, windowMs: config.withdrawWindowMs });
  const quarantine = new QuarantineService(store, { cooldownMs: config.cooldownMs, rules: config.rules, mirrorId, upstream: config.upstream }, withdrawals, cascade);
  const clock = options.clock ?? systemClock;
  const syncIdentity = (): void => {
    try {
      keeper.sync();
    } catch {
      // The next tick tries again; a full disk must not stop serving.
    }
  };
  const timer = setInterval(syncIdentity, IDENTITY_SYNC_MS);
  timer.unref();
  const jobs = new JobStore(db);
  const requeue = (name: string, version: string, at: number, note: string): void => {
    const job = jobs.latestFor(name, version);
    if (job && (job.status === 'failed' || job.status === 'done')) jobs.requeue(job.id, at, note);
  };
  const approvals = new ApprovalService({ config, mirrorId, clock, store, approvals: approvalStore, quarantine, cascade, withdrawals, requeue });
  const blobs = new BlobStore(dataPaths(config.dataDir).blobs, { maxBytes: config.maxTarballBytes, timeoutMs: config.tarballTimeoutMs });
  // Reviewers see the bytes the mirror pinned and serves, read from the verified store.
  const diffs = createDiffService(config, { loadVersionBytes: storedVersionBytes(blobs, (name, version) => store.versionOf(name, version), config.upstream) });
  closers.push(() => void diffs.close());
  const logger = options.logger ?? consoleLogger;
  const ops = createOperations({ config, db, clock, logger, store, quarantine });
  const runtime: CordonRuntime = {
    id,
    config,
    mirrorId,
    clock,
    db,
    store,
    analyses,
    jobs,
    quarantine,
    blobs,
    approvals,
    passkeys: new PasskeyService({ config, clock, store: new PasskeyStore(db), mirrorId }),
    diffs,
    logger,
    ops,
    ownedByPlugins: options.ownedByPlugins ?? false,
    onClose(fn) {
      closers.push(fn);
    },
    close() {
      runtimes.delete(id);
      for (const fn of closers.splice(0)) fn();
      clearInterval(timer);
      syncIdentity();
      ops.close();
      if (db.open) db.close();
      claim.release();
    },
  };
  runtimes.set(id, runtime);
  return runtime;
}

/** Closes every runtime of this process (tests, and a stock Verdaccio shutting down). */
export function closeAllRuntimes(): void {
  for (const runtime of [...runtimes.values()]) runtime.close();
}

/** Settings a plugin entry in Verdaccio's config may carry. */
export interface PluginSettings {
  /** Id of a runtime built by `npm start` (or a test) in this process. */
  runtime?: string;
  /** Path of a cordon.yaml; otherwise CORDON_CONFIG / ./cordon.yaml and the CORDON_* variables apply. */
  config?: string;
}

/** The runtime a plugin works with: the registered one named in its settings, or one built from them. */
export function runtimeForPlugin(settings: PluginSettings | undefined, logger: Logger): CordonRuntime {
  if (settings?.runtime) {
    const found = runtimes.get(settings.runtime);
    if (!found) throw new Error(`cordon: no runtime "${settings.runtime}" in this process; start Cordon with "npm start" or drop the runtime setting`);
    return found;
  }
  const env = settings?.config ? { ...process.env, CORDON_CONFIG: settings.config } : process.env;
  return createRuntime(loadConfig(env), { ownedByPlugins: true, logger });
}
