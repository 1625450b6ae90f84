/** What a reviewer sees of the difference between two versions: plain data, so it crosses a worker thread and JSON. */

/** One line of a hunk: ' ' context, '-' removed, '+' added; line numbers on the old and new side. */
export interface DiffLine {
  readonly t: ' ' | '-' | '+';
  /** Old-side line number (context and removed lines). */
  readonly a?: number;
  /** New-side line number (context and added lines): what findings point at. */
  readonly b?: number;
  readonly text: string;
  /** The line was longer than shown. */
  readonly cut?: true;
}

export interface DiffHunk {
  readonly oldStart: number;
  readonly oldLines: number;
  readonly newStart: number;
  readonly newLines: number;
  readonly lines: readonly DiffLine[];
}

/** How a changed file is shown: a line diff, or a summary of why not. */
export type FileKind = 'text' | 'binary' | 'large' | 'too-different';

/** One file that differs between the two versions. */
export interface FileChange {
  readonly path: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly oldSize: number | null;
  readonly newSize: number | null;
}

export interface FileDiff extends FileChange {
  readonly kind: FileKind;
  /** Line hunks (text files only; null otherwise or when the review's line budget is spent). */
  readonly hunks: readonly DiffHunk[] | null;
  readonly added: number;
  readonly removed: number;
  /** Lines of the diff left out to keep the page bounded. */
  readonly omittedLines: number;
  /** Why there is no line diff, for a person. */
  readonly summary?: string;
}

/** A change of one metadata entry (a script, a dependency, a bin, …). */
export interface MetadataChange {
  readonly key: string;
  readonly before: string | null;
  readonly after: string | null;
}

export interface MetadataSection {
  /** `scripts`, `dependencies`, …, `publisher`, `maintainers`, `provenance`. */
  readonly name: string;
  readonly changes: readonly MetadataChange[];
  /** Entries present and equal on both sides. */
  readonly unchanged: number;
}

/** The files part, built on a worker thread from both tarballs. */
export interface FilesDiff {
  readonly files: readonly FileDiff[];
  readonly unchangedFiles: number;
}

/** Everything the review page shows of the difference against the previous version. */
export interface ReviewDiff extends FilesDiff {
  readonly package: string;
  readonly version: string;
  readonly integrity: string;
  readonly previousVersion: string | null;
  /** Null when upstream's metadata no longer lists the version. */
  readonly metadata: readonly MetadataSection[] | null;
  readonly builtMs: number;
}

/** The CLI's older shape (`cordon show --diff`): changed files and unified text of the requested ones. */
export interface VersionDiff {
  readonly previousVersion: string | null;
  readonly files: readonly FileChange[];
  /** Unified diffs of the requested files, by path (null: binary, too large or too different). */
  readonly unified: Readonly<Record<string, string | null>>;
}
