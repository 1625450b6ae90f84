/** Cordon's settings: read once, validated, frozen. */
export { loadConfig, queueNameFor, ConfigError, type CordonConfig, type ConfigErrorCode } from './load-config';
export { parseDuration, formatDuration } from './duration';
export { ruleFor, type PackageRule, type EffectiveRule } from './package-rules';
export type { Approver, ApproverKeyType, Quorum, QuorumSeverity } from './approvers';
export type { NotifyEndpoint, NotifyFormat } from './notify';
