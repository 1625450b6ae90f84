import type { TarballAnomaly } from '../../tarball/read-tarball';
import type { Finding, Severity } from '../types';

const SEVERITY: Record<TarballAnomaly['kind'], Severity> = {
  'path-traversal': 'high',
  'absolute-path': 'high',
  symlink: 'medium',
  hardlink: 'medium',
  'special-file': 'medium',
  'duplicate-path': 'medium',
  'unknown-entry': 'low',
};
const WHAT: Record<TarballAnomaly['kind'], string> = {
  'path-traversal': 'an entry whose path climbs out of the package ("..")',
  'absolute-path': 'an entry with an absolute path',
  symlink: 'a symbolic link',
  hardlink: 'a hard link',
  'special-file': 'a device or FIFO entry',
  'duplicate-path': 'two entries for the same path (the last one wins on extraction)',
  'unknown-entry': 'an entry of an unknown tar type',
};

/** Entries the tarball reader refused, reported when the previous tarball did not have them. */
export function anomalyFindings(prev: readonly TarballAnomaly[] | null, next: readonly TarballAnomaly[]): Finding[] {
  const before = new Set((prev ?? []).map((a) => `${a.kind}:${a.path}`));
  return next
    .filter((a) => !before.has(`${a.kind}:${a.path}`))
    .slice(0, 50)
    .map((a) => ({
      category: 'metadata',
      rule: `tarball/${a.kind}`,
      severity: SEVERITY[a.kind],
      file: a.path,
      ...(a.target !== undefined ? { evidence: `-> ${a.target.slice(0, 120)}` } : {}),
      message: `the tarball holds ${WHAT[a.kind]}; it was reported, not followed`,
    }));
}
