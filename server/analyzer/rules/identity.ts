import { clip } from '../evidence';
import type { PackageView } from '../package-view';
import { severityAtLeast } from '../severity';
import type { Finding, Manifest, NpmUser, ProvenanceFacts } from '../types';

function userName(u: { name?: string; email?: string } | string | null | undefined): string | undefined {
  if (typeof u === 'string') return u || undefined;
  return u?.name ?? u?.email;
}

/** Verified facts when someone verified them; otherwise what the registry manifest declares. */
function hasProvenance(view: PackageView, m: Manifest): boolean {
  if (view.provenance !== undefined) return view.provenance !== null;
  return m.dist?.attestations !== undefined && m.dist.attestations !== null;
}

function trustedPublisher(u: NpmUser | undefined): string | null {
  const tp = u?.trustedPublisher;
  return tp && typeof tp === 'object' ? `${tp.id ?? 'oidc'}${tp.oidcConfigId ? ` (${tp.oidcConfigId})` : ''}` : null;
}

const SOURCE_FIELDS: ReadonlyArray<[keyof ProvenanceFacts, string]> = [
  ['repository', 'source repository'],
  ['workflowPath', 'workflow'],
  ['builder', 'builder'],
];

// A new account alone is routine (teams rotate who releases); with a new capability it is how worms publish.
const NOT_CAPABILITY = new Set(['metadata']);

/**
 * Who published the version, against the previous version of the same line: provenance or trusted
 * publishing dropped, the build source changed (all high), a new publisher account or maintainer
 * (low alone, medium when `capability` holds any capability finding).
 */
export function identityFindings(prev: PackageView | null, next: PackageView, capability: readonly Finding[]): Finding[] {
  const a = prev?.registry;
  const b = next.registry;
  if (!a || !b) return [];
  const findings: Finding[] = [];
  if (hasProvenance(prev!, a) && !hasProvenance(next, b)) {
    findings.push({
      category: 'metadata',
      rule: 'metadata/provenance-dropped',
      severity: 'high',
      message: 'the previous version had a provenance attestation and this one has none: it was not built by the usual pipeline',
    });
  }
  const tpBefore = trustedPublisher(a._npmUser);
  if (tpBefore && !trustedPublisher(b._npmUser)) {
    findings.push({
      category: 'metadata',
      rule: 'metadata/trusted-publishing-dropped',
      severity: 'high',
      evidence: clip(`${tpBefore} → token publish by ${userName(b._npmUser) ?? 'unknown'}`),
      message:
        'the previous version was published by trusted publishing (OIDC from CI) and this one with a token: a stolen token publishes like this',
    });
  }
  const pa = prev?.provenance;
  const pb = next.provenance;
  if (pa && pb) {
    for (const [field, what] of SOURCE_FIELDS) {
      if ((pa[field] ?? null) === (pb[field] ?? null)) continue;
      findings.push({
        category: 'metadata',
        rule: 'metadata/provenance-source-changed',
        severity: 'high',
        evidence: clip(`${pa[field] ?? '(none)'} → ${pb[field] ?? '(none)'}`),
        message: `the provenance names a different ${what} than the previous version's: it was built somewhere else`,
      });
    }
  }
  const withCapability = capability.some((f) => !NOT_CAPABILITY.has(f.category) && severityAtLeast(f.severity, 'low'));
  const severity = withCapability ? 'medium' : 'low';
  const why = withCapability ? ', in a version that also adds a capability' : '';
  const oldUser = userName(a._npmUser);
  const newUser = userName(b._npmUser);
  if (oldUser && newUser && oldUser !== newUser) {
    findings.push({
      category: 'metadata',
      rule: 'metadata/new-publisher',
      severity,
      evidence: clip(`${oldUser} → ${newUser}`),
      message: `published by ${newUser}, the previous version by ${oldUser}${why}`,
    });
  }
  const oldApprover = userName(a._npmUser?.approver);
  const newApprover = userName(b._npmUser?.approver);
  if (newApprover && newApprover !== oldApprover && newApprover !== oldUser) {
    findings.push({
      category: 'metadata',
      rule: 'metadata/new-publisher',
      severity,
      evidence: clip(`approver ${oldApprover ?? '(none)'} → ${newApprover}`),
      message: `the publish was approved by ${newApprover}, who did not approve the previous version${why}`,
    });
  }
  const known = new Set((a.maintainers ?? []).map((m) => userName(m)));
  for (const m of b.maintainers ?? []) {
    const name = userName(m);
    if (name && known.size > 0 && !known.has(name)) {
      findings.push({
        category: 'metadata',
        rule: 'metadata/new-maintainer',
        severity,
        evidence: clip(name),
        message: `new maintainer ${name}${why}`,
      });
    }
  }
  return findings;
}
