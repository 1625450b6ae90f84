/**
 * `cordon passkey add | list | remove`: passkeys rooted in the approver's SSH key. `add` signs an
 * enrollment request with the key and prints a one-time link (10 minutes) that registers a passkey bound
 * to the approver; `remove` signs a removal; `list` shows every passkey and whether it can sign.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadApproverKey, type ApproverKey } from '../approvals/approver-key';
import { parseRequest, PASSKEY_NAMESPACE, type PasskeyAction } from '../passkeys/passkey-request';
import { COMMON_OPTIONS, CordonClient, mirrorUrl, parseCommand } from './cordon-client';
import { EXIT, printable, reportError, UsageError } from './error-text';

const USAGE = `usage: cordon passkey add [--key FILE] [--ssh-keygen] [--registry URL]
       cordon passkey list [--registry URL] [--json]
       cordon passkey remove CREDENTIAL_ID [--key FILE] [--ssh-keygen] [--registry URL]

  add      sign an enrollment request with your approver SSH key and print a one-time link, valid for
           10 minutes: open it in the browser (or phone) that should hold the passkey
  list     every passkey: approver, id, when enrolled and last used, and whether it can sign now
  remove   sign the removal of one of your passkeys (an id or a unique prefix from "list")
  --key    your approver key (default: CORDON_KEY, then ~/.ssh/cordon_ed25519)
`;

interface Listing {
  approver: string;
  credentialId: string;
  algorithm: number;
  createdAt: string;
  lastUsedAt: string | null;
  removedAt: string | null;
  status: string;
}

function keyFrom(values: { key?: string; 'ssh-keygen'?: boolean }): ApproverKey {
  const defaultKey = join(homedir(), '.ssh', 'cordon_ed25519');
  const path = values.key ?? process.env.CORDON_KEY ?? (existsSync(defaultKey) ? defaultKey : undefined);
  if (!path) throw new UsageError('USAGE', `no key: pass --key FILE or set CORDON_KEY (or create ${defaultKey} with "cordon keygen")`);
  return loadApproverKey(path, { forceSshKeygen: values['ssh-keygen'] === true });
}

/** Fetches the request for `action` on `subject`, checks it asks for exactly that, and signs it. */
async function signedRequest(
  client: CordonClient,
  key: ApproverKey,
  action: PasskeyAction,
  subject: string,
): Promise<{ text: string; signature: string; approver: string }> {
  const { text } = await client.get<{ text: string }>('/passkeys/request', { action, key: key.publicKeyBase64, subject });
  const request = parseRequest(text);
  // Sign only what was asked for: a mirror cannot slip in another action or subject.
  if (request.action !== action || request.subject !== subject)
    throw new UsageError('USAGE', 'the mirror returned a request for something else; nothing was signed. Check --registry');
  return { text, signature: await key.sign(text, PASSKEY_NAMESPACE), approver: request.approver };
}

export async function passkeyCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, { ...COMMON_OPTIONS, key: { type: 'string' }, 'ssh-keygen': { type: 'boolean' } });
    const [sub, ...rest] = positionals;
    if (values.help || !sub) {
      process.stdout.write(USAGE);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const client = new CordonClient(mirrorUrl(values.registry));
    if (sub === 'add' && rest.length === 0) {
      const key = keyFrom(values);
      const mirror = await client.get<{ baseUrl: string; passkeys: { enabled: boolean; reason?: string } }>('/approvals/mirror');
      // The link's secret: only its hash is signed and sent, so the mirror can check the link but never forge one.
      const token = randomBytes(32).toString('base64url');
      const { text, signature, approver } = await signedRequest(client, key, 'enroll', createHash('sha256').update(token).digest('hex'));
      const done = await client.post<{ expiresAt: string }>('/passkeys/enrollments', { request: text, signature });
      const link = new URL(`-/cordon/enroll#${token}`, mirror.baseUrl).href;
      process.stdout.write(
        `${printable(`One-time enrollment link for ${approver}, valid until ${done.expiresAt} (10 minutes), for one passkey:`)}\n\n${link}\n\nOpen it in the browser or on the phone that should hold the passkey. Anyone with the link can enroll a passkey as you until then: do not share it.\n`,
      );
      return EXIT.ok;
    }
    if (sub === 'list' && rest.length === 0) {
      const { passkeys, relyingParty } = await client.get<{
        passkeys: Listing[];
        relyingParty: { enabled: boolean; reason?: string; origin?: string };
      }>('/passkeys');
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ relyingParty, passkeys }, null, 2)}\n`);
        return EXIT.ok;
      }
      const head = relyingParty.enabled ? `Passkeys belong to ${relyingParty.origin}.` : (relyingParty.reason ?? 'Passkeys are off.');
      const rows = passkeys.map(
        (p) =>
          `  ${p.approver.padEnd(16)} ${p.credentialId.slice(0, 22).padEnd(22)}  ${p.status.padEnd(16)} enrolled ${p.createdAt}${p.lastUsedAt ? `, last used ${p.lastUsedAt}` : ''}${p.removedAt ? `, removed ${p.removedAt}` : ''}`,
      );
      process.stdout.write(printable(`${head}\n${rows.length ? rows.join('\n') : '  (no passkeys enrolled)'}\n`));
      return EXIT.ok;
    }
    if (sub === 'remove' && rest.length === 1) {
      const { passkeys } = await client.get<{ passkeys: Listing[] }>('/passkeys');
      const matches = passkeys.filter((p) => p.credentialId.startsWith(rest[0]!));
      if (matches.length !== 1)
        throw new UsageError(
          'USAGE',
          matches.length
            ? `${rest[0]} matches ${matches.length} passkeys; give more of the id`
            : `no passkey id starts with ${rest[0]}; see "cordon passkey list"`,
        );
      const key = keyFrom(values);
      const { text, signature } = await signedRequest(client, key, 'remove', matches[0]!.credentialId);
      const done = await client.post<{ approver: string; credentialId: string }>('/passkeys/removals', { request: text, signature });
      process.stdout.write(
        printable(`Removed passkey ${done.credentialId} of ${done.approver}; it can no longer sign. The removal is in the audit log.\n`),
      );
      return EXIT.ok;
    }
    throw new UsageError('USAGE', `unknown or incomplete passkey command ${JSON.stringify(positionals.join(' '))}`);
  } catch (err) {
    return reportError('passkey', err, USAGE);
  }
}
