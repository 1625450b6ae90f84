/** The mirror's id, which statements and analysis questions name: configured, or generated once and kept in the store. */
import { randomBytes } from 'node:crypto';
import type { ApprovalPort } from '../../storage/ports';

/** A new random mirror id (kept by the store on first use). */
export function newMirrorId(): string {
  return `cordon-${randomBytes(12).toString('base64url')}`;
}

/** The configured id, or the one the store keeps (generated on first use, first writer wins). */
export async function resolveMirrorId(configured: string | null, store: Pick<ApprovalPort, 'mirrorId'>): Promise<string> {
  return configured ?? (await store.mirrorId(newMirrorId));
}
