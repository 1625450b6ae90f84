import { CordonError } from '../errors';

/** Why a version's attestations cannot be trusted: a bundle that does not verify, or that is about other bytes. */
export type ProvenanceErrorCode = 'PROVENANCE_INVALID';

/** Raised by the attestation verifier; the pipeline blocks the version (it never becomes visible). */
export class ProvenanceError extends CordonError<ProvenanceErrorCode> {}
