/** The synchronous SQLite stores of one connection, and the ports that answer through them. */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../database';
import { VersionStore } from '../version-store';
import { AnalysisStore } from '../analysis-store';
import { JobStore } from '../job-store';
import { ApprovalStore } from '../approval-store';
import { AuditLog } from '../audit-log';
import { PasskeyStore } from '../passkey-store';
import { NotificationOutbox } from '../notification-outbox';
import { RefusalStore } from '../refusal-store';
import { WithdrawalStore } from '../withdrawal-store';
import { OpsQueries } from '../ops-queries';
import type { StorePorts } from '../ports';

/** Every store class bound to one connection (statements are prepared per connection). */
export interface SqliteStores {
  readonly db: Db;
  readonly versions: VersionStore;
  readonly analyses: AnalysisStore;
  readonly jobs: JobStore;
  readonly approvals: ApprovalStore;
  readonly audit: AuditLog;
  readonly passkeys: PasskeyStore;
  readonly notifications: NotificationOutbox;
  readonly refusals: RefusalStore;
  readonly withdrawals: WithdrawalStore;
  readonly ops: OpsQueries;
  readonly meta: Statement;
  readonly auditSequence: Statement;
}

export function storesOn(db: Db): SqliteStores {
  return {
    db,
    versions: new VersionStore(db),
    analyses: new AnalysisStore(db),
    jobs: new JobStore(db),
    approvals: new ApprovalStore(db),
    audit: new AuditLog(db),
    passkeys: new PasskeyStore(db),
    notifications: new NotificationOutbox(db),
    refusals: new RefusalStore(db),
    withdrawals: new WithdrawalStore(db),
    ops: new OpsQueries(db),
    meta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    // AUTOINCREMENT remembers the highest id ever handed out: a deleted tail shows as a gap.
    auditSequence: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'"),
  };
}

/** How the ports reach the connections: the store's (reader, and the locked writer) or one transaction's (its writer). */
export interface Access {
  read<T>(fn: (s: SqliteStores) => T): Promise<T>;
  /**
   * Runs a write. `touched` names the packages whose versions it may change (the change feed tells
   * subscribers once it committed); `ownLocking` skips the surrounding write transaction (the probe).
   */
  write<T>(fn: (s: SqliteStores) => T, opts?: { touched?: readonly string[]; ownLocking?: boolean }): Promise<T>;
}

/** The ports of the store, or of one transaction, each method answering through `access`. */
export function portsOf(access: Access): StorePorts {
  const { read, write } = access;
  const touching = (...names: string[]) => ({ touched: names });
  return {
    versions: {
      hasPackage: (name) => read((s) => s.versions.hasPackage(name)),
      versionsOf: (name) => read((s) => s.versions.versionsOf(name)),
      versionOf: (name, version) => read((s) => s.versions.versionOf(name, version)),
      versionsByPublisher: (publisher, from, to) => read((s) => s.versions.versionsByPublisher(publisher, from, to)),
      versionsByTarball: (name, tarball) => read((s) => s.versions.versionsByTarball(name, tarball)),
      versionsInState: (state) => read((s) => s.versions.versionsInState(state)),
      recentInStates: (states, limit) => read((s) => s.versions.recentInStates(states, limit)),
      cleanWaiting: (name) => read((s) => s.versions.cleanWaiting(name)),
      packagesInState: (state) => read((s) => s.versions.packagesInState(state)),
      packagesInStateSince: (state, since) => read((s) => s.versions.packagesInStateSince(state, since)),
      recordSighting: (name, at, inserts, transitions, jobs, findings) =>
        write(
          (s) => s.versions.recordSighting(name, at, inserts, transitions, jobs, findings),
          touching(name, ...(transitions ?? []).map((t) => t.package)),
        ),
      transition: (t) => write((s) => s.versions.transition(t), touching(t.package)),
      recordBlob: (name, version, integrity, blob) => write((s) => s.versions.recordBlob(name, version, integrity, blob), touching(name)),
      markRefreshed: (name, at) => write((s) => s.versions.markRefreshed(name, at)),
    },
    analyses: {
      analysisOf: (name, version, integrity) => read((s) => s.analyses.analysisOf(name, version, integrity)),
      record: (analysis, outcome, transition) => write((s) => s.analyses.record(analysis, outcome, transition), touching(analysis.package)),
      addedFindings: (name, version, integrity) => read((s) => s.analyses.addedFindings(name, version, integrity)),
      addFinding: (transition, integrity, finding, merged) =>
        write((s) => s.analyses.addFinding(transition, integrity, finding, merged), touching(transition.package)),
    },
    jobs: {
      get: (id) => read((s) => s.jobs.get(id)),
      latestFor: (name, version) => read((s) => s.jobs.latestFor(name, version)),
      claim: (now, lockMs, limit, perPackage) => write((s) => s.jobs.claim(now, lockMs, limit, perPackage)),
      finish: (id, status, error, now) => write((s) => s.jobs.finish(id, status, error, now)),
      retry: (id, runAfter, error, now) => write((s) => s.jobs.retry(id, runAfter, error, now)),
      postpone: (id, runAfter, note, now) => write((s) => s.jobs.postpone(id, runAfter, note, now)),
      requeue: (id, now, note) => write((s) => s.jobs.requeue(id, now, note)),
      recover: (now, all) => write((s) => s.jobs.recover(now, all)),
      active: () => read((s) => s.jobs.active()),
      counts: () => read((s) => s.jobs.counts()),
      nextRunAfter: () => read((s) => s.jobs.nextRunAfter()),
    },
    approvals: {
      // Read first, so the common case (an id on record) takes no write lock.
      mirrorId: async (generate) =>
        (await read((s) => (s.meta.get('mirror-id') as { value: string } | undefined)?.value)) ??
        write((s) => s.approvals.mirrorId(generate)),
      nonceUsed: (nonce) => read((s) => s.approvals.nonceUsed(nonce)),
      decisionsOf: (name, version) => read((s) => s.approvals.decisionsOf(name, version)),
      accept: (input, transition) => write((s) => s.approvals.accept(input, transition), touching(input.package)),
    },
    audit: {
      append: (entry) => write((s) => s.audit.append(entry)),
      head: () => read((s) => s.audit.head()),
      ofPackage: (name, afterId, limit) => read((s) => s.audit.ofPackage(name, afterId, limit)),
      page: (afterId, limit) => read((s) => s.audit.page(afterId, limit)),
      pageBefore: (beforeId, limit) => read((s) => s.audit.pageBefore(beforeId, limit)),
      sequence: () => read((s) => (s.auditSequence.get() as { seq: number } | undefined)?.seq ?? null),
    },
    passkeys: {
      addEnrollment: (e) => write((s) => s.passkeys.addEnrollment(e)),
      enrollment: (tokenHash) => read((s) => s.passkeys.enrollment(tokenHash)),
      setChallenge: (tokenHash, challenge) => write((s) => s.passkeys.setChallenge(tokenHash, challenge)),
      completeEnrollment: (passkey, challenge, at, auditDetail) =>
        write((s) => s.passkeys.completeEnrollment(passkey, challenge, at, auditDetail)),
      passkey: (credentialId) => read((s) => s.passkeys.passkey(credentialId)),
      all: () => read((s) => s.passkeys.all()),
      remove: (credentialId, at, auditDetail) => write((s) => s.passkeys.remove(credentialId, at, auditDetail)),
      touch: (credentialId, counter, at) => write((s) => s.passkeys.touch(credentialId, counter, at)),
    },
    notifications: {
      enqueue: (change) => write((s) => s.notifications.enqueue(change)),
      waitingEvents: (limit) => read((s) => s.notifications.waitingEvents(limit)),
      fanOut: (eventId, deliveries, now) => write((s) => s.notifications.fanOut(eventId, deliveries, now)),
      due: (now, limit) => read((s) => s.notifications.due(now, limit)),
      get: (eventId, endpoint) => read((s) => s.notifications.get(eventId, endpoint)),
      settle: (d, status, attempts, nextAt, error, now) => write((s) => s.notifications.settle(d, status, attempts, nextAt, error, now)),
      counts: () => read((s) => s.notifications.counts()),
      prune: (before) => write((s) => s.notifications.prune(before)),
    },
    refusals: {
      add: (batch) => write((s) => s.refusals.add(batch)),
      ofPackage: (name) => read((s) => s.refusals.ofPackage(name)),
    },
    withdrawals: {
      // Withdrawals decide what is visible, so their writes count as changes of the package.
      missing: (name, version, now, source, gapMs) =>
        write((s) => s.withdrawals.missing(name, version, now, source, gapMs), touching(name)),
      of: (name, version) => read((s) => s.withdrawals.of(name, version)),
      shown: (name, listed) => write((s) => s.withdrawals.shown(name, listed), touching(name)),
      hasPending: (name) => read((s) => s.withdrawals.hasPending(name)),
      clear: (name, version, at, by) => write((s) => s.withdrawals.clear(name, version, at, by), touching(name)),
      lastTransitionCause: (name, version) => read((s) => s.withdrawals.lastTransitionCause(name, version)),
    },
    ops: {
      versionsByState: () => read((s) => s.ops.versionsByState()),
      probe: (now) => write((s) => s.ops.probe(now), { ownLocking: true }),
    },
  };
}
