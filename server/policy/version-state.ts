/** The lifecycle states of a (package, version) and the record the policy decides on. */
export const VERSION_STATES = ['quarantined', 'held', 'released', 'approved', 'rejected', 'blocked'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

/** States in which a version may be installed. Everything else, including a state this code does not know, is hidden. */
export const VISIBLE_STATES: ReadonlySet<string> = new Set<VersionState>(['released', 'approved']);

/** One (package, version) as storage keeps it. Times are epoch milliseconds. */
export interface VersionRecord {
  readonly package: string;
  readonly version: string;
  readonly state: VersionState;
  /** Upstream publish time; null when upstream gave none or an unparsable one. */
  readonly publishedAt: number | null;
  readonly firstSeenAt: number;
  /**
   * The one digest pinned at first sight (`sha512-…`, or the strongest upstream gave): every byte analysed
   * or served is checked against it. Null when upstream gave none (such a version is never served).
   */
  readonly integrity: string | null;
  /** Basename of the upstream tarball URL, to map a tarball request back to its version. */
  readonly tarball: string | null;
  /** The upstream URL the tarball is fetched from, as first seen. */
  readonly tarballUrl: string | null;
  /** sha512 (`sha512-…`) of the verified bytes: the key of the content-addressed store; null until known. */
  readonly blob: string | null;
  readonly reason: string;
  readonly updatedAt: number;
  /** Outcome of the latest analysis of these bytes; null for a baseline version that needs none. */
  readonly analysis: AnalysisOutcome | null;
  /** Most severe finding of that analysis (null: none, or not analysed). */
  readonly maxSeverity: string | null;
  /** Digest of that analysis's findings, which approvals bind to. */
  readonly findingsDigest: string | null;
  /** Upstream `_npmUser.name` of the version, for burst detection. */
  readonly publisher: string | null;
}

/** Where the analysis of a version stands. */
export type AnalysisOutcome = 'pending' | 'clean' | 'flagged' | 'failed';

/** The refusal codes a client sees for a hidden version. */
export type RefusalCode = 'QUARANTINED' | 'HELD' | 'REJECTED' | 'BLOCKED';

/** What the policy says about one version at one instant. */
export interface VersionDecision {
  readonly visible: boolean;
  /** The state as of `now`: a quarantined version whose cooldown is over reads `released` before the sweeper writes it. */
  readonly state: VersionState;
  /** Why the version is hidden; undefined when visible. */
  readonly code?: RefusalCode;
  /** When the cooldown ends (epoch ms); null when time alone will never release it. */
  readonly releaseAt: number | null;
  readonly reason: string;
}
