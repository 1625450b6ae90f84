/**
 * The provenance part of an analysis: for a version whose manifest declares attestations, fetch them
 * from the upstream, verify every bundle offline against the verified tarball's digest, and return
 * where it was built. Kept apart from the tarball fetching so it takes only the manifest and the
 * verified bytes' digest.
 */
import type { ProvenanceFacts } from '../analyzer';
import { ProvenanceError } from '../provenance/errors';
import type { ProvenanceTrust } from '../provenance/trusted-root';
import { verifyAttestations } from '../provenance/verify-attestations';
import { AnalysisError } from './analysis-job';

/** The network edge and the trust material of the provenance step. */
export interface ProvenanceDeps {
  /** The parsed attestations response, or null on 404; only ever asks the configured upstream. */
  readonly fetchAttestations: (upstream: string, name: string, version: string, declaredUrl: unknown) => Promise<unknown | null>;
  readonly trust: () => ProvenanceTrust;
}

/** The `dist.attestations` a manifest declares, or null. */
function declared(manifest: Record<string, unknown>): { url?: unknown } | null {
  const att = (manifest.dist as { attestations?: unknown } | undefined)?.attestations;
  return att && typeof att === 'object' ? (att as { url?: unknown }) : null;
}

/**
 * Provenance facts of `name@version` (null when it declares no attestations, or none of them is a
 * provenance). Throws AnalysisError PROVENANCE_INVALID (the version is blocked) when a bundle does not
 * verify or is about other bytes, TRANSIENT when upstream cannot answer now.
 */
export async function provenanceOf(
  upstream: string,
  name: string,
  version: string,
  manifest: Record<string, unknown>,
  sha512: Buffer,
  deps: ProvenanceDeps,
): Promise<ProvenanceFacts | null> {
  const att = declared(manifest);
  if (!att) return null;
  let response: unknown;
  try {
    response = await deps.fetchAttestations(upstream, name, version, att.url);
  } catch (err) {
    throw new AnalysisError('TRANSIENT', `the attestations of ${name}@${version} could not be fetched: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // Declared but not served: the registry may lag; retry, and after the retries a person decides.
  if (response === null)
    throw new AnalysisError('TRANSIENT', `the packument declares attestations for ${name}@${version}, but upstream serves none`);
  try {
    return verifyAttestations(response, { name, version, sha512 }, deps.trust()).provenance;
  } catch (err) {
    if (err instanceof ProvenanceError) {
      throw new AnalysisError(
        'PROVENANCE_INVALID',
        `${err.message}. Cordon blocks ${name}@${version}: its attestation does not vouch for the bytes it serves. Report it to the package's maintainers and to npm.`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Like `provenanceOf` for the previous version: a failure there only means its build source cannot be compared (undefined). */
export async function previousProvenanceOf(
  upstream: string,
  name: string,
  version: string,
  manifest: Record<string, unknown>,
  sha512: Buffer,
  deps: ProvenanceDeps,
): Promise<ProvenanceFacts | null | undefined> {
  try {
    return await provenanceOf(upstream, name, version, manifest, sha512, deps);
  } catch (err) {
    if (err instanceof AnalysisError && err.code === 'TRANSIENT') throw err;
    return undefined;
  }
}
