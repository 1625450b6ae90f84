/** Shared pieces of the store contract: one test per backend, and records, transitions and signed decisions built in the test. */
import { test } from 'node:test';
import { canonicalStatement, newNonce, STATEMENT_TYPE, type Statement } from '../../../server/approvals/statement';
import type { VersionState } from '../../../server/policy/version-state';
import { causesOf } from '../../../server/policy/state-machine';
import type { NewDecision, Store, Transition } from '../../../storage';
import { testApprover, type TestApprover } from '../../approvals/keys';
import { backends } from './backends';
import { versionRecord } from '../../helpers/version-record';

export const T = Date.parse('2026-11-20T12:00:00Z');

/** Runs `fn` once per backend, each on a fresh store that is cleaned up afterwards. */
export function contract(title: string, fn: (store: Store) => Promise<void>): void {
  for (const backend of backends) {
    test(`${backend.name}: ${title}`, async (t) => {
      const why = (await backend.unavailable?.()) ?? null;
      if (why !== null) return t.skip(why);
      const { store, cleanup } = await backend.open();
      try {
        await fn(store);
      } finally {
        await cleanup();
      }
    });
  }
}

/** A version as a sighting records it. */
export const rec = versionRecord;

/** A change of state with a cause the state machine allows for it (storage refuses any other), unless `cause` is given. */
export function move(
  pkg: string,
  version: string,
  from: VersionState,
  to: VersionState,
  at = T + 1,
  cause: string = causesOf(from, to)[0] ?? 'not-allowed',
): Transition {
  return { package: pkg, version, from, to, reason: `${from} to ${to}`, cause, at };
}

let alice: TestApprover | undefined;

/** A decision signed for real (so `verifyAudit` accepts the log), about the bytes and findings given. */
export function signedDecision(
  pkg: string,
  version: string,
  integrity: string,
  findingsDigest: string,
  decision: 'approve' | 'reject',
  at = T + 10,
): NewDecision {
  alice ??= testApprover('alice');
  const statement: Statement = {
    type: STATEMENT_TYPE,
    mirrorId: 'contract-mirror',
    package: pkg,
    version,
    integrity,
    findingsDigest,
    decision,
    reason: 'reviewed in the contract test',
    approver: 'alice',
    issuedAt: new Date(at - 5).toISOString(),
    nonce: newNonce(),
  };
  const text = canonicalStatement(statement);
  return {
    package: pkg,
    version,
    integrity,
    findingsDigest,
    decision,
    approver: 'alice',
    publicKey: alice.approver.publicKey,
    statement: text,
    signature: alice.sign(text),
    nonce: statement.nonce,
    issuedAt: at - 5,
    acceptedAt: at,
    auditDetail: { keyLine: alice.approver.line },
  };
}

/** Every audit entry, oldest first, read through the port page by page. */
export async function allAudit(store: Store): Promise<Awaited<ReturnType<Store['audit']['page']>>> {
  const out: Awaited<ReturnType<Store['audit']['page']>> = [];
  for (let page = await store.audit.page(0, 100); page.length; page = await store.audit.page(page[page.length - 1]!.id, 100))
    out.push(...page);
  return out;
}
