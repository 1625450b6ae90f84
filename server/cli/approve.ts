/**
 * `cordon approve pkg@1.2.3 [--reason …]` (and, through `reject.ts`, `cordon reject`): fetch the
 * statement for the current bytes and findings, show it, sign it, post it, print the new state.
 */
import { createInterface } from 'node:readline/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { loadApproverKey } from '../approvals/approver-key';
import { fingerprint, encodePublicKeyBlob } from '../approvals/ssh-key';
import { parseStatement, type Decision, type Statement } from '../approvals/statement';
import { COMMON_OPTIONS, CordonClient, mirrorUrl, parseCommand, versionSpec } from './cordon-client';
import { EXIT, printable, reportError, UsageError } from './error-text';
import { STATEMENT_TTL_MS } from '../approvals/verify-decision';
import { formatDuration } from '../config/duration';

const usage = (
  d: Decision,
) => `usage: cordon ${d} <pkg@version> ${d === 'reject' ? '--reason TEXT' : '[--reason TEXT]'} [--key FILE] [--ssh-keygen] [--yes] [--registry URL] [--json]

  --key FILE      your approver key (default: CORDON_KEY, then ~/.ssh/cordon_ed25519). An unencrypted
                  Ed25519 key file signs in-process; an encrypted or hardware (sk-) key, or a .pub file
                  whose private key is in ssh-agent, signs through "ssh-keygen -Y sign".
  --ssh-keygen    always sign through ssh-keygen
  --yes           do not ask for confirmation on a terminal
`;

/** What the user is about to sign, in plain words. */
function describe(s: Statement, via: string, keyFingerprint: string): string {
  return [
    `You are signing, as ${s.approver} (${keyFingerprint}, via ${via}):`,
    `  decision        ${s.decision.toUpperCase()}`,
    `  package         ${s.package}@${s.version}`,
    `  tarball         ${s.integrity}`,
    `  findings digest ${s.findingsDigest}`,
    `  reason          ${s.reason || '(none)'}`,
    `  mirror          ${s.mirrorId}`,
    `  issued          ${s.issuedAt} (valid ${formatDuration(STATEMENT_TTL_MS)}, once)`,
    '',
  ].join('\n');
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** Runs `cordon approve` or `cordon reject`. */
export async function decideCommand(decision: Decision, argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, {
      ...COMMON_OPTIONS,
      reason: { type: 'string' },
      key: { type: 'string' },
      'ssh-keygen': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
    });
    if (values.help) {
      process.stdout.write(usage(decision));
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('USAGE', 'expected one pkg@version');
    const { name, version } = versionSpec(positionals[0]);
    const reason = values.reason ?? '';
    if (decision === 'reject' && !reason.trim())
      throw new UsageError('USAGE', 'a rejection needs --reason: say what is wrong, for the audit log and the people who asked for it');
    const defaultKey = join(homedir(), '.ssh', 'cordon_ed25519');
    const keyPath = values.key ?? process.env.CORDON_KEY ?? (existsSync(defaultKey) ? defaultKey : undefined);
    if (!keyPath) throw new UsageError('USAGE', `no key: pass --key FILE or set CORDON_KEY (or create ${defaultKey} with "cordon keygen")`);
    const key = loadApproverKey(keyPath, { forceSshKeygen: values['ssh-keygen'] === true });
    const client = new CordonClient(mirrorUrl(values.registry));

    const { text } = await client.statement(name, version, decision, reason, key.publicKeyBase64);
    // Sign only what was asked for, in canonical form: a mirror cannot slip in another version or decision.
    const statement = parseStatement(text);
    if (statement.package !== name || statement.version !== version || statement.decision !== decision || statement.reason !== reason) {
      throw new UsageError(
        'USAGE',
        `the mirror returned a statement for ${statement.decision} ${statement.package}@${statement.version}, not what was asked; nothing was signed. Check --registry`,
      );
    }
    process.stderr.write(printable(describe(statement, key.via, fingerprint(encodePublicKeyBlob(key.publicKey)))));
    if (process.stdin.isTTY && !values.yes && !(await confirm(`Sign and send this ${decision}? [y/N] `))) {
      process.stderr.write('Nothing was signed.\n');
      return EXIT.refused;
    }
    const signature = await key.sign(text);
    const result = await client.submit(name, version, text, signature);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return EXIT.ok;
    }
    const s = result.status;
    const counted = `${s.approvedBy.length} of ${s.required} approval${s.required === 1 ? '' : 's'}`;
    const line = result.transition
      ? `${name}@${version} is now ${s.state}${result.transition.cause === 'approved-fast-track' ? ' (fast-tracked before its cooldown ended)' : ''}${s.state === 'approved' ? `: ${counted} (${s.approvedBy.join(', ')}); installs can have it now.` : '; installs will not get it.'}`
      : `${statement.approver}'s ${decision} is recorded. ${name}@${version} stays ${s.state}: ${counted}${s.fastTrack ? ' (fast-track quorum)' : ''}; another approver must sign.`;
    process.stdout.write(`${printable(line)}\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(decision, err, usage(decision));
  }
}

/** `cordon approve`. */
export function approveCommand(argv: string[]): Promise<number> {
  return decideCommand('approve', argv);
}
