/** Counts a submitted signed decision by method, decision and outcome. */
import { CordonError } from '../errors';
import type { CordonMetrics } from './metrics';

/** How a decision was signed: an SSH key (CLI, SSHSIG) or a passkey (the web page, WebAuthn). */
export type DecisionMethod = 'ssh' | 'passkey';

/** The decision a submitted statement names, read without trusting it (it may be refused). */
function decisionOf(statement: unknown): string {
  if (typeof statement !== 'string' || statement.length > 65_536) return 'unknown';
  try {
    const value = (JSON.parse(statement) as { decision?: unknown })?.decision;
    return value === 'approve' || value === 'reject' ? value : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Counts one submission: `error` null when it was accepted, else what refused it (its code is the outcome). */
export function countDecision(metrics: CordonMetrics, method: DecisionMethod, statement: unknown, error: unknown): void {
  const outcome = error === null ? 'accepted' : error instanceof CordonError && /^[A-Z_]{1,40}$/.test(error.code) ? error.code : 'error';
  metrics.decisions.inc({ method, decision: decisionOf(statement), outcome });
}
