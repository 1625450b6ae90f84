/**
 * A one-time enrollment link: register a passkey bound to the approver who signed the link with SSH.
 * The token is in the URL fragment (never sent in a request line or a Referer) and is wiped from the
 * address bar at once.
 */
import { post } from './api.js';
import { h, replace, visible } from './dom.js';
import { errorNotice, notice, page } from './layout.js';
import { queuePath } from './paths.js';
import { createCredential, passkeysUnavailable, type RelyingParty } from './webauthn.js';
import { get } from './api.js';
import { formatAbsolute } from './time.js';

export async function render(): Promise<void> {
  const token = location.hash.slice(1);
  history.replaceState(null, '', location.pathname);
  const status = h('div', { id: 'enroll-status', 'aria-live': 'assertive' });
  const body = h('div', { id: 'enroll-body' }, 'Opening the link…');
  page('enroll', 'Enroll a passkey', h('h1', {}, 'Enroll a passkey'), body, status);
  const mirror = await get<{ passkeys: RelyingParty }>('approvals/mirror').catch(() => null);
  const off = mirror ? passkeysUnavailable(mirror.passkeys) : 'The mirror cannot be reached.';
  if (off)
    return void replace(
      body,
      notice('warning', off),
      h('p', {}, 'Sign decisions with your SSH key instead: cordon approve <pkg@version>.'),
    );
  let opened: { approver: string; expiresAt: string; options: Parameters<typeof createCredential>[0] };
  try {
    opened = await post('passkeys/registration-options', { token });
  } catch (err) {
    return void replace(body, errorNotice(err));
  }
  const button = h('button', { type: 'button', id: 'register', class: 'primary' }, `Create a passkey for ${visible(opened.approver)}`);
  replace(
    body,
    h(
      'p',
      {},
      'This link was signed with the SSH key of approver ',
      h('strong', {}, visible(opened.approver)),
      `. It works once, until ${formatAbsolute(opened.expiresAt)}.`,
    ),
    h(
      'p',
      {},
      "The passkey will sign decisions as this approver, with your PIN or biometric each time. It stops working if the approver is removed from the mirror's configuration.",
    ),
    button,
  );
  button.focus();
  button.addEventListener('click', () => {
    button.setAttribute('disabled', '');
    replace(status, notice('info', 'Waiting for your authenticator…'));
    createCredential(opened.options)
      .then((response) => post<{ approver: string; credentialId: string }>('passkeys/registrations', { token, response }))
      .then(
        (r) => {
          localStorage.setItem('cordon.approver', r.approver);
          replace(
            body,
            notice(
              'ok',
              `a passkey is enrolled for ${visible(r.approver)} (credential ${r.credentialId.slice(0, 16)}…). The binding is in the audit log.`,
            ),
            h('p', {}, h('a', { href: queuePath() }, 'Go to the waiting versions')),
          );
          replace(status);
        },
        (err) => {
          button.removeAttribute('disabled');
          replace(status, errorNotice(err));
        },
      );
  });
}
