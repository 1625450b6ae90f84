import type { TarballAnomaly } from '../tarball/read-tarball';

/** Severity levels, lowest first. */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** What kind of capability a finding is about. */
export type Category =
  | 'install-script'
  | 'network'
  | 'process'
  | 'credentials'
  | 'dynamic-code'
  | 'obfuscation'
  | 'binary'
  | 'dependency'
  | 'metadata';

/** One thing the new version can do that the previous one could not. */
export interface Finding {
  readonly category: Category;
  /** Stable id, e.g. 'install-script/new-postinstall'. */
  readonly rule: string;
  readonly severity: Severity;
  /** What a reviewer needs to know, in one or two sentences. */
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  /** A short snippet (capped), never a whole minified line. */
  readonly evidence?: string;
}

/** The registry's version object (packument `versions[v]`), or the tarball's package.json. */
export interface Manifest {
  readonly name?: string;
  readonly version?: string;
  readonly scripts?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly bundleDependencies?: readonly string[] | boolean;
  readonly bundledDependencies?: readonly string[] | boolean;
  readonly bin?: string | Readonly<Record<string, string>>;
  readonly gypfile?: boolean;
  readonly _npmUser?: NpmUser;
  readonly maintainers?: ReadonlyArray<{ readonly name?: string; readonly email?: string }>;
  readonly dist?: {
    readonly integrity?: string;
    readonly shasum?: string;
    readonly tarball?: string;
    readonly attestations?: unknown;
    readonly signatures?: unknown;
  };
  readonly [key: string]: unknown;
}

/** Who published a version: an account, or a trusted publisher (OIDC) with an optional approver. */
export interface NpmUser {
  readonly name?: string;
  readonly email?: string;
  readonly trustedPublisher?: { readonly id?: string; readonly oidcConfigId?: string } | null;
  readonly approver?: { readonly name?: string; readonly email?: string } | string | null;
}

/** Where a verified provenance attestation says a version was built (read from its signing certificate). */
export interface ProvenanceFacts {
  /** The source repository, e.g. `https://github.com/owner/repo`. */
  readonly repository: string | null;
  /** The workflow that built it, e.g. `.github/workflows/release.yml`. */
  readonly workflowPath: string | null;
  /** The build system, e.g. `https://github.com/actions/runner/github-hosted`. */
  readonly builder: string | null;
}

/** A file of the package, its path relative to the package root. */
export interface PackageFile {
  readonly path: string;
  readonly bytes: Uint8Array | string;
  readonly mode?: number;
}

/** One side of the comparison: a version as published. */
export interface PackageSide {
  /** The registry manifest; null when only a tarball is known (then metadata checks are skipped). */
  readonly manifest: Manifest | null;
  readonly files: readonly PackageFile[];
  /** Entries the tarball reader refused (links, traversal, ...). */
  readonly anomalies?: readonly TarballAnomaly[];
  /**
   * What the version's verified provenance attestation says (null: it has none); undefined when
   * nobody verified it (the CLI), and then the build source is not compared.
   */
  readonly provenance?: ProvenanceFacts | null;
}

/** The analyzer's answer for one (previous, next) pair. */
export interface Report {
  readonly analyzerVersion: string;
  readonly name?: string;
  readonly previousVersion?: string;
  readonly version?: string;
  /** Sorted deterministically (severity desc, then rule, file, line). */
  readonly findings: readonly Finding[];
  /** Highest severity among the findings, or null when there are none. */
  readonly maxSeverity: Severity | null;
  /** sha256 hex over the canonical JSON of `findings`; an approval binds to it. */
  readonly digest: string;
  /** How much work was done (for the bench and for the reviewer's trust in a quiet report). */
  readonly stats: {
    readonly filesNext: number;
    readonly filesChanged: number;
    /** Files parsed by this call (either side); a warm cache makes it smaller. */
    readonly filesParsed: number;
    /** Distinct files of the new version whose code was examined, from the cache or not. */
    readonly filesScanned: number;
    /** Of those, the ones no parser accepted (scanned as text). */
    readonly filesUnparsable: number;
    /** Of those, the ones beyond the parse budget (scanned as text without parsing). */
    readonly filesOverBudget: number;
  };
}
