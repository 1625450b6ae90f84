/**
 * The shared state of one Cordon instance (settings, store, policy service, clock). `npm start` builds it
 * and hands its id to the plugins; a stock Verdaccio that loads the plugins without one gets one built
 * from the plugin's settings, shared by both plugins through this module.
 */
import { join } from 'node:path';
import { loadConfig, type CordonConfig } from './config';
import { systemClock, type Clock } from './clock';
import { consoleLogger, type Logger } from './logger';
import { AnalysisStore, ApprovalStore, JobStore, openDatabase, VersionStore, type Db } from '../storage';
import { QuarantineService } from './quarantine/quarantine-service';
import { ApprovalService } from './approvals/approval-service';
import { createOperations, type Operations } from './ops/operations';

export interface CordonRuntime {
  readonly id: string;
  readonly config: CordonConfig;
  readonly clock: Clock;
  readonly db: Db;
  readonly store: VersionStore;
  readonly analyses: AnalysisStore;
  readonly jobs: JobStore;
  readonly quarantine: QuarantineService;
  /** Signed decisions: statements, acceptance, quorum, the waiting queue. */
  readonly approvals: ApprovalService;
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
  return join(dataDir, 'cordon.sqlite');
}

/** Opens the store and builds the services for `config`, registered under `id`. */
export function createRuntime(config: CordonConfig, options: { clock?: Clock; id?: string; ownedByPlugins?: boolean; logger?: Logger } = {}): CordonRuntime {
  const id = options.id ?? `cordon:${config.dataDir}`;
  const existing = runtimes.get(id);
  if (existing) return existing;
  const db = openDatabase(databaseFile(config.dataDir));
  const store = new VersionStore(db);
  const closers: Array<() => void> = [];
  const quarantine = new QuarantineService(store, { cooldownMs: config.cooldownMs, rules: config.rules });
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? consoleLogger;
  const ops = createOperations({ config, db, clock, logger, store, quarantine });
  const runtime: CordonRuntime = {
    id,
    config,
    clock,
    db,
    store,
    analyses: new AnalysisStore(db),
    jobs: new JobStore(db),
    quarantine,
    approvals: new ApprovalService({ config, clock, store, approvals: new ApprovalStore(db), quarantine }),
    logger,
    ops,
    ownedByPlugins: options.ownedByPlugins ?? false,
    onClose(fn) {
      closers.push(fn);
    },
    close() {
      runtimes.delete(id);
      for (const fn of closers.splice(0)) fn();
      ops.close();
      if (db.open) db.close();
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
