/** Bounds the reader enforces so a hostile tarball cannot exhaust memory or lead the reader anywhere. */
export interface TarballLimits {
  /** Sum of all unpacked file sizes, in bytes. */
  readonly maxTotalBytes: number;
  /** Number of tar entries of any type. */
  readonly maxEntries: number;
  /** Size of one file, in bytes. */
  readonly maxFileBytes: number;
  /** Path segments below the package root. */
  readonly maxDepth: number;
  /** Bytes of one path (after pax/GNU long names). */
  readonly maxPathBytes: number;
}

/** Generous enough for typescript (~22 MB, ~120 files) and the largest common packages. */
export const DEFAULT_TARBALL_LIMITS: TarballLimits = Object.freeze({
  maxTotalBytes: 256 * 1024 * 1024,
  maxEntries: 50_000,
  maxFileBytes: 64 * 1024 * 1024,
  maxDepth: 48,
  maxPathBytes: 4096,
});
