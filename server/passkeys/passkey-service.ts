/**
 * Passkeys rooted in the config's approvers: an SSH-signed request creates a one-time enrollment link;
 * opening it registers a passkey bound to that approver (and to the SSH key they had then); a passkey
 * assertion over a statement's hash then establishes its approver as a decision's signer.
 */
import { createHash } from 'node:crypto';
import { generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Approver, CordonConfig } from '../config';
import type { Clock } from '../clock';
import type { StoredPasskey } from '../../storage';
import type { StorePorts } from '../../storage/ports';
import { ApprovalError } from '../approvals/errors';
import { newNonce } from '../approvals/statement';
import { parseSignature, verifySignature } from '../approvals/sshsig';
import { approverForKey, CLOCK_SKEW_MS } from '../approvals/verify-decision';
import { statementChallenge, SUPPORTED_ALGORITHM_IDS, type WebAuthnEvidence } from '../approvals/webauthn-evidence';
import type { EstablishedSigner } from '../approvals/approval-service';
import { coseToPem } from './cose-key';
import { PasskeyError } from './errors';
import {
  canonicalRequest,
  ENROLLMENT_TTL_MS,
  parseRequest,
  PASSKEY_NAMESPACE,
  PASSKEY_REQUEST_TYPE,
  type PasskeyAction,
  type PasskeyRequest,
} from './passkey-request';
import { relyingParty, type RelyingParty } from './relying-party';

export interface PasskeyDeps {
  readonly config: Pick<CordonConfig, 'approvers' | 'publicUrl'>;
  readonly clock: Clock;
  readonly store: Pick<StorePorts, 'passkeys'>;
  readonly mirrorId: string;
}

/** A passkey as listed: whether it can sign now, and why not. */
export interface PasskeyListing extends Omit<StoredPasskey, 'publicKey' | 'tokenHash'> {
  readonly status: 'active' | 'removed' | 'approver-removed';
}

/** The browser's part of a passkey decision, as `navigator.credentials.get()` options (JSON). */
export interface AssertionOptions {
  readonly challenge: string;
  readonly rpId: string;
  readonly allowCredentials: ReadonlyArray<{ id: string; type: 'public-key'; transports: readonly string[] }>;
  readonly userVerification: 'required';
  readonly timeout: number;
}

const B64URL = /^[A-Za-z0-9_-]*$/;
const tokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

function malformedAssertion(why: string): never {
  throw new ApprovalError('SIGNATURE_MALFORMED', `The passkey assertion ${why}. Sign again from the review page.`);
}

/** Checks the shape of an assertion from the browser before any library sees it. */
function asAssertion(value: unknown): AuthenticationResponseJSON {
  if (value === null || typeof value !== 'object') return malformedAssertion('is not an object');
  const a = value as Record<string, unknown>;
  const r = a.response as Record<string, unknown> | undefined;
  if (a.type !== 'public-key') malformedAssertion('is not of type public-key');
  for (const [name, v, max] of [
    ['id', a.id, 1024],
    ['rawId', a.rawId, 1024],
    ['authenticatorData', r?.authenticatorData, 65536],
    ['clientDataJSON', r?.clientDataJSON, 65536],
    ['signature', r?.signature, 4096],
  ] as const) {
    if (typeof v !== 'string' || v.length === 0 || v.length > max || !B64URL.test(v)) malformedAssertion(`has no valid ${name}`);
  }
  if (r?.userHandle !== undefined && r.userHandle !== null && (typeof r.userHandle !== 'string' || !B64URL.test(r.userHandle)))
    malformedAssertion('has an invalid userHandle');
  if (a.id !== a.rawId) malformedAssertion('has an id that differs from its rawId');
  return {
    id: a.id as string,
    rawId: a.rawId as string,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      authenticatorData: r!.authenticatorData as string,
      clientDataJSON: r!.clientDataJSON as string,
      signature: r!.signature as string,
      ...(typeof r?.userHandle === 'string' ? { userHandle: r.userHandle } : {}),
    },
  };
}

export class PasskeyService {
  /** Where passkeys work, from publicUrl; disabled with a reason when they cannot. */
  readonly relyingParty: RelyingParty;

  constructor(private readonly deps: PasskeyDeps) {
    this.relyingParty = relyingParty(deps.config.publicUrl);
  }

  private rp(): { origin: string; rpId: string } {
    const rp = this.relyingParty;
    if (!rp.enabled)
      throw new PasskeyError('PASSKEYS_OFF', `${rp.reason} Until then, sign with your SSH key: cordon approve <pkg@version>.`);
    return rp;
  }

  /** The configured approver a passkey belongs to, while the config still lists them with the same SSH key. */
  approverOf(passkey: StoredPasskey): Approver | undefined {
    return this.deps.config.approvers.find((a) => a.name === passkey.approver && a.publicKey === passkey.sshKey);
  }

  /** Every passkey ever enrolled, with whether it can sign now. */
  async list(): Promise<PasskeyListing[]> {
    return (await this.deps.store.passkeys.all()).map(({ publicKey: _k, tokenHash: _t, ...p }) => ({
      ...p,
      status: p.removedAt !== null ? 'removed' : this.approverOf({ ...p, publicKey: '', tokenHash: '' }) ? 'active' : 'approver-removed',
    }));
  }

  /** Passkeys that can sign for `approver` now. */
  async activeOf(approver: Approver): Promise<StoredPasskey[]> {
    return (await this.deps.store.passkeys.all()).filter(
      (p) => p.removedAt === null && p.approver === approver.name && p.sshKey === approver.publicKey,
    );
  }

  /** The request an approver is to sign with SSH to enroll (subject: token hash) or remove (subject: credential id). */
  async requestFor(
    action: PasskeyAction,
    publicKey: string,
    subject: string,
  ): Promise<{ request: PasskeyRequest; text: string; namespace: string; expiresAt: string }> {
    const approver = approverForKey(this.deps.config.approvers, Buffer.from(publicKey, 'base64'));
    if (!approver)
      throw new ApprovalError(
        'UNKNOWN_SIGNER',
        'This key is not an approver of this mirror (or has been removed). Passkeys can only be enrolled by the approvers listed in cordon.yaml, with the key listed there.',
      );
    if (action === 'enroll') this.rp();
    if (action === 'remove') await this.removable(approver, subject);
    const now = this.deps.clock.now();
    const request: PasskeyRequest = {
      type: PASSKEY_REQUEST_TYPE,
      action,
      mirrorId: this.deps.mirrorId,
      approver: approver.name,
      subject,
      issuedAt: new Date(now).toISOString(),
      nonce: newNonce(),
    };
    const text = canonicalRequest(request);
    parseRequest(text);
    return { request, text, namespace: PASSKEY_NAMESPACE, expiresAt: new Date(now + ENROLLMENT_TTL_MS).toISOString() };
  }

  /** Verifies a signed request: signer, signature, fields, time. */
  private verifyRequest(
    text: string,
    armored: string,
    action: PasskeyAction,
  ): { request: PasskeyRequest; approver: Approver; issued: number } {
    const signature = parseSignature(armored);
    const approver = approverForKey(this.deps.config.approvers, signature.publicKeyBlob);
    if (!approver)
      throw new ApprovalError(
        'UNKNOWN_SIGNER',
        'The key that signed this request is not an approver of this mirror (or has been removed). Sign with the key listed under approvers in cordon.yaml.',
      );
    if (!verifySignature(signature, Buffer.from(text, 'utf8'), PASSKEY_NAMESPACE))
      throw new ApprovalError(
        'BAD_SIGNATURE',
        `The signature does not match the request (or was made for another namespace than ${PASSKEY_NAMESPACE}). Run the command again.`,
      );
    const request = parseRequest(text);
    if (request.action !== action)
      throw new PasskeyError('REQUEST_MALFORMED', `The request asks to ${request.action} a passkey, not to ${action} one.`);
    if (request.approver !== approver.name)
      throw new ApprovalError(
        'APPROVER_MISMATCH',
        `The request names approver "${request.approver}" but was signed with the key of "${approver.name}".`,
      );
    if (request.mirrorId !== this.deps.mirrorId)
      throw new ApprovalError(
        'WRONG_MIRROR',
        `The request was made for mirror "${request.mirrorId}", not this one ("${this.deps.mirrorId}").`,
      );
    const now = this.deps.clock.now();
    const issued = Date.parse(request.issuedAt);
    if (now - issued > ENROLLMENT_TTL_MS)
      throw new PasskeyError(
        'REQUEST_EXPIRED',
        `The request was issued at ${request.issuedAt}, more than 10 minutes ago. Run the command again.`,
      );
    if (issued - now > CLOCK_SKEW_MS)
      throw new ApprovalError(
        'STATEMENT_FROM_FUTURE',
        `The request claims to be issued at ${request.issuedAt}, later than the mirror's clock. Run the command again; it fetches the request from the mirror.`,
      );
    return { request, approver, issued };
  }

  /** Accepts an SSH-signed enrollment request; the link (with the token only its signer knows) is valid for 10 minutes, once. */
  async enroll(text: string, armored: string): Promise<{ approver: string; expiresAt: number }> {
    this.rp();
    const { request, approver, issued } = this.verifyRequest(text, armored, 'enroll');
    const expiresAt = issued + ENROLLMENT_TTL_MS;
    const added = await this.deps.store.passkeys.addEnrollment({
      tokenHash: request.subject,
      approver: approver.name,
      publicKey: approver.publicKey,
      request: text,
      signature: armored,
      nonce: request.nonce,
      createdAt: this.deps.clock.now(),
      expiresAt,
    });
    if (!added)
      throw new ApprovalError(
        'NONCE_REUSED',
        'This enrollment request (its nonce or link) has already been used. Run "cordon passkey add" again for a new link.',
      );
    return { approver: approver.name, expiresAt };
  }

  /** The enrollment a link's token opens, while it can still be used, with its approver. */
  private async openEnrollment(token: unknown) {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{32,128}$/.test(token))
      throw new PasskeyError(
        'ENROLLMENT_UNKNOWN',
        'This enrollment link is incomplete or damaged. Copy the whole link that "cordon passkey add" printed, or run it again.',
      );
    const enrollment = await this.deps.store.passkeys.enrollment(tokenHash(token));
    if (!enrollment)
      throw new PasskeyError(
        'ENROLLMENT_UNKNOWN',
        'This enrollment link is not known to this mirror. Run "cordon passkey add" against this mirror for a new link.',
      );
    if (enrollment.usedAt !== null)
      throw new PasskeyError(
        'ENROLLMENT_USED',
        'This enrollment link has already been used; each link registers one passkey. Run "cordon passkey add" again for another.',
      );
    if (this.deps.clock.now() >= enrollment.expiresAt)
      throw new PasskeyError(
        'ENROLLMENT_EXPIRED',
        `This enrollment link expired at ${new Date(enrollment.expiresAt).toISOString()} (links last 10 minutes). Run "cordon passkey add" again.`,
      );
    const approver = this.deps.config.approvers.find((a) => a.name === enrollment.approver && a.publicKey === enrollment.publicKey);
    if (!approver)
      throw new ApprovalError(
        'UNKNOWN_SIGNER',
        `${enrollment.approver} is no longer an approver of this mirror with the key that signed this link, so no passkey can be bound to them.`,
      );
    return { enrollment, approver };
  }

  /** `navigator.credentials.create()` options for an enrollment link; user verification required. */
  async registrationOptions(
    token: unknown,
  ): Promise<{ approver: string; expiresAt: string; options: PublicKeyCredentialCreationOptionsJSON }> {
    const rp = this.rp();
    const { enrollment, approver } = await this.openEnrollment(token);
    const options = await generateRegistrationOptions({
      rpName: `Cordon (${this.deps.mirrorId})`,
      rpID: rp.rpId,
      userName: approver.name,
      userDisplayName: `${approver.name} (Cordon approver)`,
      // Stable per approver and mirror, so an authenticator keeps one passkey per approver.
      userID: createHash('sha256').update(`${this.deps.mirrorId}\0${approver.name}`).digest().subarray(0, 32),
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      excludeCredentials: (await this.activeOf(approver)).map((p) => ({ id: p.credentialId, transports: [...p.transports] })),
      supportedAlgorithmIDs: [...SUPPORTED_ALGORITHM_IDS],
      timeout: 120_000,
    });
    await this.deps.store.passkeys.setChallenge(enrollment.tokenHash, options.challenge);
    return { approver: approver.name, expiresAt: new Date(enrollment.expiresAt).toISOString(), options };
  }

  /** Verifies the browser's registration for an enrollment link and binds the new passkey to its approver. */
  async register(token: unknown, response: unknown): Promise<StoredPasskey> {
    const rp = this.rp();
    const { enrollment, approver } = await this.openEnrollment(token);
    if (!enrollment.challenge)
      throw new PasskeyError('REGISTRATION_FAILED', 'Open the enrollment link first; the registration has no challenge yet.');
    let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo'];
    try {
      const verified = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge: enrollment.challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: [...SUPPORTED_ALGORITHM_IDS],
      });
      if (!verified.verified) throw new Error('the registration did not verify');
      info = verified.registrationInfo;
    } catch (err) {
      throw new PasskeyError(
        'REGISTRATION_FAILED',
        `The passkey registration was refused: ${(err as Error).message}. Open the link again and use an authenticator with a PIN or biometric.`,
      );
    }
    if (await this.deps.store.passkeys.passkey(info.credential.id))
      throw new PasskeyError('REGISTRATION_FAILED', 'This passkey is already enrolled on this mirror.');
    let key: { pem: string; algorithm: number };
    try {
      key = coseToPem(info.credential.publicKey);
    } catch (err) {
      throw new PasskeyError(
        'REGISTRATION_FAILED',
        `The passkey uses a key Cordon cannot check with openssl (${(err as Error).message}); use another authenticator.`,
      );
    }
    const now = this.deps.clock.now();
    const passkey = {
      credentialId: info.credential.id,
      approver: approver.name,
      sshKey: approver.publicKey,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      publicKeyPem: key.pem,
      algorithm: key.algorithm,
      counter: info.credential.counter,
      transports: info.credential.transports ?? [],
      tokenHash: enrollment.tokenHash,
      createdAt: now,
    };
    const done = await this.deps.store.passkeys.completeEnrollment(passkey, enrollment.challenge, now, {
      approver: approver.name,
      keyLine: approver.line,
      publicKey: approver.publicKey,
      credentialId: passkey.credentialId,
      publicKeyPem: key.pem,
      algorithm: key.algorithm,
      aaguid: info.aaguid,
      rpId: rp.rpId,
      origin: rp.origin,
      tokenHash: enrollment.tokenHash,
      request: enrollment.request,
      signature: enrollment.signature,
    });
    if (!done)
      throw new PasskeyError('ENROLLMENT_USED', 'This enrollment link was used or re-opened meanwhile; run "cordon passkey add" again.');
    return done.passkey;
  }

  private async removable(approver: Approver, credentialId: string): Promise<StoredPasskey> {
    const passkey = await this.deps.store.passkeys.passkey(credentialId);
    if (!passkey)
      throw new PasskeyError('PASSKEY_UNKNOWN', `No passkey ${credentialId} is enrolled on this mirror; see "cordon passkey list".`);
    if (passkey.approver !== approver.name)
      throw new ApprovalError(
        'APPROVER_MISMATCH',
        `Passkey ${credentialId} belongs to ${passkey.approver}, not ${approver.name}; only its owner removes it (or remove ${passkey.approver} from cordon.yaml, which disables all their passkeys).`,
      );
    if (passkey.removedAt !== null)
      throw new PasskeyError(
        'PASSKEY_REMOVED',
        `Passkey ${credentialId} was already removed at ${new Date(passkey.removedAt).toISOString()}.`,
      );
    return passkey;
  }

  /** Removes a passkey on its owner's SSH-signed request; written to the audit log. */
  async remove(text: string, armored: string): Promise<StoredPasskey> {
    const { request, approver } = this.verifyRequest(text, armored, 'remove');
    const passkey = await this.removable(approver, request.subject);
    const now = this.deps.clock.now();
    if (
      !(await this.deps.store.passkeys.remove(passkey.credentialId, now, {
        approver: approver.name,
        publicKey: approver.publicKey,
        credentialId: passkey.credentialId,
        request: text,
        signature: armored,
      }))
    ) {
      throw new PasskeyError('PASSKEY_REMOVED', `Passkey ${passkey.credentialId} was already removed.`);
    }
    return { ...passkey, removedAt: now };
  }

  /** `navigator.credentials.get()` options to sign `statementText` as `approver`: the challenge is the statement's SHA-256. */
  async assertionOptions(approver: Approver, statementText: string): Promise<AssertionOptions> {
    const rp = this.rp();
    const keys = await this.activeOf(approver);
    if (keys.length === 0)
      throw new PasskeyError(
        'NO_PASSKEY',
        `${approver.name} has no passkey on this mirror. Enroll one with "cordon passkey add", or sign with SSH: cordon approve.`,
      );
    return {
      challenge: statementChallenge(statementText),
      rpId: rp.rpId,
      allowCredentials: keys.map((p) => ({ id: p.credentialId, type: 'public-key', transports: p.transports })),
      userVerification: 'required',
      timeout: 120_000,
    };
  }

  /**
   * Establishes who signed `statementText` with a passkey: the credential is enrolled and not removed,
   * its approver is still configured with the SSH key it was enrolled under, and the assertion (user
   * verified, this origin, challenge = SHA-256 of the statement) verifies. Throws the codes SSH uses.
   */
  async authenticate(statementText: string, assertionJson: unknown): Promise<EstablishedSigner> {
    const rp = this.rp();
    const assertion = asAssertion(assertionJson);
    const passkey = await this.deps.store.passkeys.passkey(assertion.id);
    if (!passkey || passkey.removedAt !== null)
      throw new ApprovalError(
        'UNKNOWN_SIGNER',
        'This passkey is not enrolled on this mirror (or was removed). Enroll one with "cordon passkey add", or sign with SSH.',
      );
    const approver = this.approverOf(passkey);
    if (!approver)
      throw new ApprovalError(
        'UNKNOWN_SIGNER',
        `This passkey belongs to ${passkey.approver}, who is no longer an approver of this mirror with the SSH key it was enrolled under; it cannot sign.`,
      );
    let newCounter: number;
    try {
      const result = await verifyAuthenticationResponse({
        response: assertion,
        expectedChallenge: statementChallenge(statementText),
        expectedOrigin: rp.origin,
        expectedRPID: rp.rpId,
        credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: passkey.counter },
        requireUserVerification: true,
      });
      if (!result.verified) throw new Error('the assertion did not verify');
      newCounter = result.authenticationInfo.newCounter;
    } catch (err) {
      throw new ApprovalError(
        'BAD_SIGNATURE',
        `The passkey signature does not match the statement (${(err as Error).message}). Sign the statement again from the review page, with user verification.`,
      );
    }
    const evidence: WebAuthnEvidence = {
      credentialId: passkey.credentialId,
      publicKeyPem: passkey.publicKeyPem,
      algorithm: passkey.algorithm,
      authenticatorData: assertion.response.authenticatorData,
      clientDataJSON: assertion.response.clientDataJSON,
      signature: assertion.response.signature,
      rpId: rp.rpId,
      origin: rp.origin,
    };
    return {
      approver,
      method: 'webauthn',
      signature: assertion.response.signature,
      evidence: { ...evidence },
      recheck: async (tx) => {
        // Inside the decision's transaction: removed meanwhile, or a counter that went back (a cloned key, a replay race).
        const now = await tx.passkeys.passkey(passkey.credentialId);
        if (!now || now.removedAt !== null)
          throw new ApprovalError('UNKNOWN_SIGNER', 'This passkey was removed while the decision was being checked.');
        if ((newCounter > 0 || now.counter > 0) && newCounter <= now.counter)
          throw new ApprovalError(
            'BAD_SIGNATURE',
            'The passkey signature counter did not increase; this assertion was already used or the authenticator was cloned. Sign again.',
          );
      },
      recorded: async (tx, at) => {
        await tx.passkeys.touch(passkey.credentialId, newCounter, at);
      },
    };
  }
}
