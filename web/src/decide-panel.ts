/**
 * Deciding from the review page: choose approve or reject and a reason, fetch the exact statement, read
 * it, sign it with a passkey (the challenge is the statement's SHA-256, user verification required).
 * Where passkeys cannot work, say why and show the CLI command instead.
 */
import { ApiError, get, post } from './api.js';
import { h, replace, visible } from './dom.js';
import { command, errorNotice, notice } from './layout.js';
import { formatAbsolute } from './time.js';
import { getAssertion, passkeysUnavailable, type AssertionOptions, type RelyingParty } from './webauthn.js';

export interface DecideInput {
  name: string;
  version: string;
  approvers: Array<{ name: string; passkeys: number }>;
  passkeys: RelyingParty;
  commands: { approve: string; reject: string };
  /** A message to show first (the outcome of the decision just made). */
  flash?: string;
  /** Called after a decision was accepted, with what to tell the reviewer. */
  done(message: string): void;
}

const REMEMBERED = 'cordon.approver';

/** The decision form, or why it cannot be used here. */
export function decidePanel(input: DecideInput): HTMLElement {
  const ssh = h(
    'div',
    { class: 'ssh' },
    h('h3', {}, 'Or sign with your SSH key'),
    h('p', {}, 'Run on your machine (add --key FILE if your key is elsewhere):'),
    command(input.commands.approve, 'Copy approve command'),
    command(input.commands.reject, 'Copy reject command'),
  );
  const off = passkeysUnavailable(input.passkeys);
  if (off)
    return h(
      'section',
      { id: 'decide', class: 'panel', 'aria-labelledby': 'decide-h' },
      h('h2', { id: 'decide-h' }, 'Decide'),
      notice('warning', off),
      ssh,
    );
  const signers = input.approvers.filter((a) => a.passkeys > 0);
  if (signers.length === 0) {
    return h(
      'section',
      { id: 'decide', class: 'panel', 'aria-labelledby': 'decide-h' },
      h('h2', { id: 'decide-h' }, 'Decide'),
      notice(
        'info',
        'No approver has a passkey on this mirror yet. Enroll one with ',
        h('code', {}, 'cordon passkey add'),
        ', which prints a one-time link.',
      ),
      ssh,
    );
  }

  const approve = h('input', { type: 'radio', name: 'decision', id: 'decision-approve', value: 'approve', checked: true });
  const reject = h('input', { type: 'radio', name: 'decision', id: 'decision-reject', value: 'reject' });
  const reason = h('textarea', { id: 'reason', name: 'reason', rows: 3, maxlength: 2000, 'aria-describedby': 'reason-help' });
  const remembered = localStorage.getItem(REMEMBERED);
  const signer = h(
    'select',
    { id: 'signer', name: 'signer' },
    signers.map((a) =>
      h('option', { value: a.name, selected: a.name === remembered }, `${a.name} (${a.passkeys} passkey${a.passkeys === 1 ? '' : 's'})`),
    ),
  );
  const prepare = h('button', { type: 'submit', id: 'prepare' }, 'Show the statement to sign');
  const statementBox = h('div', { id: 'statement-box', 'aria-live': 'polite' });
  const status = h('div', { id: 'decide-status', 'aria-live': 'assertive' }, input.flash ? notice('ok', visible(input.flash)) : null);

  const form = h(
    'form',
    { id: 'decide-form' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Decision'),
      h('label', { for: 'decision-approve', class: 'choice' }, approve, ' Approve: let installs have these exact bytes'),
      h('label', { for: 'decision-reject', class: 'choice' }, reject, ' Reject: never release these bytes'),
    ),
    h('label', { for: 'reason' }, 'Reason'),
    reason,
    h('p', { id: 'reason-help', class: 'sub' }, 'Kept in the signed statement and the audit log. Required to reject.'),
    h('label', { for: 'signer' }, 'Sign as'),
    signer,
    prepare,
  );

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const decision = reject.checked ? 'reject' : 'approve';
    replace(status);
    if (decision === 'reject' && !reason.value.trim()) {
      replace(status, notice('error', 'A rejection needs a reason: say what is wrong.'));
      reason.focus();
      return;
    }
    localStorage.setItem(REMEMBERED, signer.value);
    replace(statementBox, 'Fetching the statement…');
    get<{ text: string; expiresAt: string; webauthn: AssertionOptions }>('approvals/statement', {
      package: input.name,
      version: input.version,
      decision,
      reason: reason.value,
      approver: signer.value,
    }).then(
      (s) => showStatement(s, decision),
      (err) => replace(statementBox, errorNotice(err)),
    );
  });

  function showStatement(s: { text: string; expiresAt: string; webauthn: AssertionOptions }, decision: string): void {
    const sign = h(
      'button',
      { type: 'button', id: 'sign', class: decision === 'reject' ? 'danger' : 'primary' },
      `Sign “${decision}” with a passkey`,
    );
    replace(
      statementBox,
      h('h3', {}, 'The statement you will sign'),
      h(
        'p',
        { class: 'sub' },
        `Exactly these bytes; your passkey signs their SHA-256 (challenge ${s.webauthn.challenge}). Valid until ${formatAbsolute(s.expiresAt)}, once.`,
      ),
      h('pre', { id: 'statement', class: 'statement', tabindex: 0 }, visible(s.text)),
      sign,
    );
    sign.focus();
    sign.addEventListener('click', () => {
      sign.setAttribute('disabled', '');
      replace(status, notice('info', 'Waiting for your passkey (PIN or biometric)…'));
      getAssertion(s.webauthn)
        .then((assertion) =>
          post<{ status: { state: string; approvedBy: string[]; required: number }; transition: unknown }>('approvals/decisions', {
            package: input.name,
            version: input.version,
            statement: s.text,
            method: 'webauthn',
            assertion,
          }),
        )
        .then(
          (r) => {
            const msg = r.transition
              ? `Accepted. ${input.name}@${input.version} is now ${r.status.state}.`
              : `Accepted: ${r.status.approvedBy.length} of ${r.status.required} approvals. Another approver must sign.`;
            input.done(msg);
          },
          (err: unknown) => {
            sign.removeAttribute('disabled');
            replace(
              status,
              err instanceof ApiError
                ? errorNotice(err)
                : notice('error', `The passkey did not sign: ${(err as Error)?.message ?? String(err)}`),
            );
          },
        );
    });
  }

  return h(
    'section',
    { id: 'decide', class: 'panel', 'aria-labelledby': 'decide-h' },
    h('h2', { id: 'decide-h' }, 'Decide'),
    form,
    statementBox,
    status,
    ssh,
  );
}
