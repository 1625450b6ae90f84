/** The diff analyzer: what a new version can do that the previous one could not. */
export { analyze, type AnalyzeOptions } from './analyze';
export { SEVERITY_ORDER, severityAtLeast, severityRank, isSeverity } from './severity';
export { findingsDigest, compareFindings } from './digest';
export { ANALYZER_VERSION } from './version';
export type { Category, Finding, Manifest, NpmUser, PackageFile, PackageSide, ProvenanceFacts, Report, Severity } from './types';
export {
  addedOrWidenedDependencies,
  dependenciesToCheck,
  dependencyFacts,
  DEFAULT_YOUNG_DEPENDENCY,
  type DependencyFacts,
  type YoungDependencyPolicy,
} from './rules/young-dependencies';
