/**
 * One confirmed bad version holds its siblings. A worm publishes with one identity across many packages
 * within minutes; when one of those versions is rejected by a signed decision, or blocked because its
 * bytes changed, every version the same publisher published around it that is still waiting is held for
 * a person, and — where the operator asks for it — recently released ones are held again. Pure.
 */
import type { VersionRecord } from './version-state';

export interface CascadeSettings {
  /** Versions published within this much of the cause (either side) are siblings. */
  readonly windowMs: number;
  /** Also hold again siblings released within `recallMs` of now. */
  readonly recall: boolean;
  readonly recallMs: number;
}

/** What set the cascade off. */
export interface CascadeCause {
  readonly package: string;
  readonly version: string;
  readonly publisher: string | null;
  readonly publishedAt: number | null;
  /** `rejected by alice: …`, `blocked: upstream now describes other bytes …` */
  readonly what: string;
  /** The audit entry of the causing decision or block. */
  readonly auditId: number | null;
}

/** A sibling to hold, and why. */
export interface CascadeHold {
  readonly record: VersionRecord;
  readonly reason: string;
}

/** The siblings of `cause` among `candidates` (versions of the same publisher) that the cascade holds at `now`. */
export function cascadeHolds(
  cause: CascadeCause,
  candidates: readonly VersionRecord[],
  settings: CascadeSettings,
  now: number,
): CascadeHold[] {
  if (!cause.publisher || cause.publishedAt === null) return [];
  const out: CascadeHold[] = [];
  for (const record of candidates) {
    if (record.publisher !== cause.publisher || record.publishedAt === null) continue;
    if (record.package === cause.package && record.version === cause.version) continue;
    if (Math.abs(record.publishedAt - cause.publishedAt) > settings.windowMs) continue;
    const waiting = record.state === 'quarantined';
    const recalled = settings.recall && record.state === 'released' && now - record.updatedAt <= settings.recallMs;
    if (!waiting && !recalled) continue;
    out.push({
      record,
      reason: `held because ${cause.package}@${cause.version}, published by the same account (${cause.publisher}) ${describeGap(cause.publishedAt - record.publishedAt)}, was ${cause.what}${recalled ? '; it had been released, and is held again (cascade recall)' : ''}`,
    });
  }
  return out;
}

/** `ms` is the cause's publish time minus the sibling's: words for when the cause was published relative to it. */
function describeGap(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes === 0) return 'at the same time';
  const span = minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
  return ms < 0 ? `${span} before it` : `${span} after it`;
}
