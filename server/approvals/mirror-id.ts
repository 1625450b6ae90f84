/** The mirror's id, which statements and analysis questions name: configured, or generated once and kept in the store. */
import { randomBytes } from 'node:crypto';
import type { ApprovalStore } from '../../storage';

export function resolveMirrorId(configured: string | null, store: Pick<ApprovalStore, 'mirrorId'>): string {
  return configured ?? store.mirrorId(() => `cordon-${randomBytes(12).toString('base64url')}`);
}
