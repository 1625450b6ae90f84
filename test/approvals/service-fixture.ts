/** An approval service over an in-memory store, with versions and analyses put in place through the stores. */
import { ManualClock } from '../../server/clock';
import { loadConfig, type Approver, type CordonConfig } from '../../server/config';
import { compareFindings, findingsDigest, severityAtLeast, type Finding } from '../../server/analyzer';
import { resolveMirrorId } from '../../server/approvals/mirror-id';
import { ApprovalService } from '../../server/approvals/approval-service';
import { QuarantineService } from '../../server/quarantine/quarantine-service';
import type { VersionRecord } from '../../server/policy/version-state';
import { dataPaths, openDatabase, openSqliteStore, type Db, type Store } from '../../storage';
import { after } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { versionRecord } from '../helpers/version-record';

export const T0 = Date.parse('2026-11-20T12:00:00Z');
export const HOUR = 3_600_000;

export const postinstall: Finding = {
  category: 'install-script',
  rule: 'install-script/new-postinstall',
  severity: 'critical',
  message: 'a new postinstall runs node x.js',
  file: 'package.json',
  line: 3,
  evidence: '"postinstall": "node x.js"',
};
export const newDep: Finding = {
  category: 'dependency',
  rule: 'dependency/new',
  severity: 'low',
  message: 'a new dependency',
  file: 'package.json',
};

/** cordon.yaml with these approvers and quorum, loaded the way production loads it. */
export function configWith(
  approvers: readonly Approver[],
  extra: Record<string, unknown> = {},
  env: Record<string, string> = {},
): CordonConfig {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-approvals-'));
  const file = join(dir, 'cordon.yaml');
  writeFileSync(file, stringify({ approvers: approvers.map((a) => ({ name: a.name, key: a.line })), ...extra }));
  return loadConfig({ CORDON_CONFIG: file, CORDON_DATA_DIR: dir, CORDON_COOLDOWN: '72h', ...env }, dir);
}

export interface Fixture {
  /** A second connection to the store's SQLite file, for test assertions on the rows themselves. */
  readonly db: Db;
  readonly clock: ManualClock;
  /** The store, through its ports, as the services see it. */
  readonly store: Store;
  readonly service: ApprovalService;
  readonly quarantine: QuarantineService;
  /** Puts a version in place: first seen one hour before T0, analysed with `findings` and held (or quarantined when clean). */
  seed(name: string, version: string, findings: readonly Finding[], over?: Partial<VersionRecord>): Promise<VersionRecord>;
  /** A re-analysis with other findings (as the pipeline would write it). */
  reanalyse(name: string, version: string, findings: readonly Finding[]): Promise<void>;
  /** Every row of the audit log and the decisions table, to compare before and after. */
  snapshot(): unknown;
  close(): Promise<void>;
}

/** A fixture over a real SQLite store in a fresh data folder (closed when the process exits). */
export async function fixture(config: CordonConfig, now = T0): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-fixture-'));
  const store = openSqliteStore(dir, { busyTimeoutMs: 5_000 });
  const db = openDatabase(dataPaths(dir).store);
  const clock = new ManualClock(now);
  const mirrorId = await resolveMirrorId(config.mirrorId, store.approvals);
  const quarantine = new QuarantineService(store, {
    cooldownMs: config.cooldownMs,
    rules: config.rules,
    mirrorId,
    upstream: config.upstream,
  });
  const service = new ApprovalService({ config, mirrorId, clock, store, quarantine });
  const record = async (name: string, version: string, findings: readonly Finding[]): Promise<void> => {
    const worst = findings.length ? [...findings].sort(compareFindings)[0]!.severity : null;
    const flagged = worst !== null && severityAtLeast(worst, config.holdAt);
    const current = (await store.versions.versionOf(name, version))!;
    await store.analyses.record(
      {
        package: name,
        version,
        integrity: current.integrity!,
        previousVersion: '1.0.0',
        findings,
        digest: findingsDigest(findings),
        maxSeverity: worst,
        analyzerVersion: 'test',
        timings: {},
        finishedAt: clock.now(),
      },
      flagged ? 'flagged' : 'clean',
      flagged && current.state === 'quarantined'
        ? {
            package: name,
            version,
            from: 'quarantined',
            to: 'held',
            reason: 'analysis found something',
            cause: 'analysis-flagged',
            at: clock.now(),
          }
        : null,
    );
  };
  const fx: Fixture = {
    db,
    clock,
    store,
    service,
    quarantine,
    async seed(name, version, findings, over = {}) {
      const seen = now - HOUR;
      await store.versions.recordSighting(
        name,
        seen,
        [
          versionRecord(name, version, 'quarantined', {
            publishedAt: seen,
            firstSeenAt: seen,
            integrity: `sha512-${Buffer.from(`${name}@${version}`).toString('base64')}`,
            tarball: `${version}.tgz`,
            updatedAt: seen,
            ...over,
          }),
        ],
        [],
      );
      if (over.analysis !== 'pending') await record(name, version, findings);
      return (await store.versions.versionOf(name, version))!;
    },
    reanalyse: record,
    snapshot: () => ({
      audit: db.prepare('SELECT * FROM audit_log ORDER BY id').all(),
      decisions: db.prepare('SELECT * FROM decisions ORDER BY id').all(),
      versions: db.prepare('SELECT * FROM versions ORDER BY package, version').all(),
    }),
    async close() {
      if (db.open) db.close();
      await store.close();
    },
  };
  open.add(fx);
  return fx;
}

const open = new Set<Fixture>();
after(async () => {
  for (const fx of open) await fx.close();
});
