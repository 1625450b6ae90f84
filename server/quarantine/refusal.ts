/** The words a developer reads when Cordon refuses a version: what, why, until when, what to do. */
import { formatDuration } from '../config/duration';
import type { RefusalCode, VersionDecision } from '../policy/version-state';

/** The JSON body of a 403 for a hidden version. */
export interface RefusalBody {
  readonly error: string;
  readonly code: RefusalCode;
  readonly package: string;
  readonly version: string;
  readonly state: string;
  readonly releaseAt: string | null;
  readonly reason: string;
}

/** Builds the refusal for a hidden version; `now` only words the time left. */
export function refusal(name: string, version: string, decision: VersionDecision, now: number): RefusalBody {
  const id = `${name}@${version}`;
  const code: RefusalCode = decision.code ?? 'QUARANTINED';
  const releaseAt = decision.releaseAt === null ? null : new Date(decision.releaseAt).toISOString();
  const earlier = `install an earlier version (npm view ${name} versions lists the ones available)`;
  let error: string;
  switch (code) {
    case 'QUARANTINED':
      error =
        releaseAt === null
          ? `${id} is quarantined by Cordon: ${decision.reason}. It stays unavailable until an approver signs it off (cordon approve ${id}); until then ${earlier}.`
          : decision.releaseAt! <= now
            ? `${id} is quarantined by Cordon: ${decision.reason}. Its cooldown ended at ${releaseAt}; it becomes installable as soon as its analysis finishes clean. Until then ${earlier}.`
            : `${id} is quarantined by Cordon: ${decision.reason}. It becomes installable at ${releaseAt} (in ${formatDuration(decision.releaseAt! - now)}) if its analysis finds nothing; until then ${earlier}, or ask an approver to fast-track it.`;
      break;
    case 'HELD':
      error = `${id} is held by Cordon for review: ${decision.reason}. Time alone will not release it; an approver must review it (cordon show ${id}). Until then ${earlier}.`;
      break;
    case 'REJECTED':
      error = `${id} was rejected by an approver: ${decision.reason}. It will not be served; ${earlier}.`;
      break;
    case 'BLOCKED':
      error = `${id} is blocked by Cordon: ${decision.reason}. It will not be served; ${earlier}, and tell your security team if you need this one.`;
      break;
  }
  return { error, code, package: name, version, state: decision.state, releaseAt, reason: decision.reason };
}
