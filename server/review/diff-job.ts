/** The work of one diff thread: check both tarballs against their recorded integrity, unpack, diff. Pure but for CPU. */
import { bytesMatch, parsePinned } from '../policy/digest-pin';
import { unpackVersion } from '../upstream/version-bytes';
import type { FilesDiff } from './diff-types';
import { DEFAULT_DIFF_LIMITS, diffFiles } from './file-diff';

/** Input of one diff: bytes with the integrity they must match. */
export interface DiffJob {
  readonly current: { readonly id: string; readonly integrity: string; readonly bytes: Uint8Array };
  readonly previous: { readonly id: string; readonly integrity: string; readonly bytes: Uint8Array } | null;
}

export type DiffReply = { ok: true; diff: FilesDiff } | { ok: false; code: 'DIFF_INTEGRITY' | 'DIFF_UNREADABLE'; message: string };

function files(side: NonNullable<DiffJob['previous']>): Map<string, Uint8Array> | DiffReply {
  // The mirror's recorded integrity, not whatever a source says: the reviewer must see the bytes a decision binds to.
  const pin = parsePinned(side.integrity);
  if (!pin || !bytesMatch(side.bytes, pin))
    return {
      ok: false,
      code: 'DIFF_INTEGRITY',
      message: `the tarball of ${side.id} does not match its recorded integrity ${side.integrity}; do not trust it`,
    };
  try {
    return new Map(unpackVersion(side.bytes).files.map((f) => [f.path, f.bytes]));
  } catch (err) {
    return { ok: false, code: 'DIFF_UNREADABLE', message: `the tarball of ${side.id} cannot be read: ${(err as Error).message}` };
  }
}

/** Runs one diff job. */
export function runDiffJob(job: DiffJob): DiffReply {
  const next = files(job.current);
  if (!(next instanceof Map)) return next;
  const old = job.previous ? files(job.previous) : new Map<string, Uint8Array>();
  if (!(old instanceof Map)) return old;
  return { ok: true, diff: diffFiles(old, next, DEFAULT_DIFF_LIMITS) };
}
