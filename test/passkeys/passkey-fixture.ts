/** An approval service and a passkey service over one in-memory store, and enrollment through the real request/link flow. */
import { createHash, randomBytes } from 'node:crypto';
import type { CordonConfig } from '../../server/config';
import { PasskeyService } from '../../server/passkeys/passkey-service';
import { PASSKEY_NAMESPACE } from '../../server/passkeys/passkey-request';
import { statementChallenge } from '../../server/approvals/webauthn-evidence';
import type { Decision } from '../../server/approvals/statement';
import { fixture, type Fixture } from '../approvals/service-fixture';
import type { TestApprover } from '../approvals/keys';
import { SoftAuthenticator, type AssertOptions } from '../helpers/soft-authenticator';

export const ORIGIN = 'https://cordon.test';
export const RP_ID = 'cordon.test';

export interface PasskeyFixture extends Fixture {
  readonly passkeys: PasskeyService;
  readonly store: Fixture['store'];
  /** A fresh one-time link token signed by `who` (the CLI's part). */
  link(who: TestApprover): Promise<string>;
  /** Enrolls a new software passkey for `who` through a link. */
  enroll(who: TestApprover): Promise<SoftAuthenticator>;
  /** A statement for `who` about name@version and a passkey assertion over it. */
  signed(
    auth: SoftAuthenticator,
    who: TestApprover,
    name: string,
    version: string,
    decision?: Decision,
    o?: AssertOptions,
  ): Promise<{ text: string; assertion: Record<string, unknown> }>;
  /** A passkey service for another config over the same store (the operator changed cordon.yaml). */
  withConfig(config: CordonConfig): PasskeyService;
}

export async function passkeyFixture(config: CordonConfig): Promise<PasskeyFixture> {
  const f = await fixture(config);
  const make = (c: CordonConfig) => new PasskeyService({ config: c, clock: f.clock, store: f.store, mirrorId: f.service.mirrorId });
  const passkeys = make(config);
  const link = async (who: TestApprover): Promise<string> => {
    const token = randomBytes(32).toString('base64url');
    const { text } = await passkeys.requestFor('enroll', who.approver.publicKey, createHash('sha256').update(token).digest('hex'));
    await passkeys.enroll(text, who.sign(text, PASSKEY_NAMESPACE));
    return token;
  };
  return {
    ...f,
    passkeys,
    link,
    async enroll(who) {
      const token = await link(who);
      const { options } = await passkeys.registrationOptions(token);
      const auth = new SoftAuthenticator(ORIGIN, RP_ID);
      await passkeys.register(token, auth.register(options));
      return auth;
    },
    async signed(auth, who, name, version, decision = 'approve', o = {}) {
      const approver = config.approvers.find((a) => a.name === who.approver.name)!;
      const { text } = await f.service.statementAs(approver, name, version, decision, decision === 'reject' ? 'no' : 'reviewed');
      return { text, assertion: auth.assert(statementChallenge(text), o) };
    },
    withConfig: make,
  };
}
