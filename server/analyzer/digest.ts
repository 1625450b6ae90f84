import { createHash } from 'node:crypto';
import { severityRank } from './severity';
import type { Finding } from './types';

/** Sort order of a report: most severe first, then by rule, file, line and message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    cmp(a.rule, b.rule) ||
    cmp(a.file ?? '', b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    cmp(a.message, b.message) ||
    cmp(a.evidence ?? '', b.evidence ?? '')
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with keys in a fixed order and absent fields omitted, so equal findings hash equally. */
function canonicalFindingsJson(findings: readonly Finding[]): string {
  const keys = ['category', 'rule', 'severity', 'message', 'file', 'line', 'evidence'] as const;
  return JSON.stringify(
    [...findings].sort(compareFindings).map((f) => {
      const out: Record<string, unknown> = {};
      for (const k of keys) if (f[k] !== undefined) out[k] = f[k];
      return out;
    }),
  );
}

/** sha256 hex of the canonical findings. */
export function findingsDigest(findings: readonly Finding[]): string {
  return createHash('sha256').update(canonicalFindingsJson(findings)).digest('hex');
}
