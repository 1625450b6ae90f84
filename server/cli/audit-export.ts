/**
 * `cordon audit export DIR`: every signed decision with what verifies it without Cordon. SSH decisions:
 * statement, SSHSIG and allowed_signers for `ssh-keygen -Y verify`. Passkey decisions: statement, the
 * credential's public key (PEM), authenticatorData, clientDataJSON and signature for `openssl`, with the
 * SSH-signed enrollment that bound the passkey to the approver. verify.sh checks them all.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditReport, AuditedDecision, AuditedEnrollment } from '../approvals/audit-verify';
import { NAMESPACE } from '../approvals/sshsig';
import { PASSKEY_ALGORITHMS } from '../approvals/webauthn-evidence';
import { PASSKEY_NAMESPACE } from '../passkeys/passkey-request';
import type { AuditEntry } from '../../storage';
import { UsageError } from './error-text';

/** allowed_signers principals are patterns: keep names to safe characters and one principal per person. */
function principals(names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of names) {
    if (out.has(name)) continue;
    const base = name.replace(/[^A-Za-z0-9._@+-]/g, '_') || 'approver';
    let p = base;
    for (let i = 2; taken.has(p); i++) p = `${base}-${i}`;
    taken.add(p);
    out.set(name, p);
  }
  return out;
}

const ALGORITHM_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(PASSKEY_ALGORITHMS).map(([k, v]) => [v, k]));
const safe = (text: string): string => text.replace(/\//g, '+').replace(/[^A-Za-z0-9@+._-]/g, '_');

/** The shell functions verify.sh uses for passkeys: plain POSIX sh and openssl. */
const PASSKEY_CHECK = `
fail() { echo "FAILED: $*" >&2; exit 1; }
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# check_passkey STATEMENT FOLDER ENROLLMENT_PEM
check_passkey() {
  s="$1"; d="$2"
  expected=$(openssl dgst -sha256 -binary < "$s" | b64url)
  challenge=$(sed -n 's/.*"challenge":"\\([^"]*\\)".*/\\1/p' "$d/client-data.json")
  [ "$challenge" = "$expected" ] || fail "$s: the passkey signed challenge $challenge, not SHA-256 of the statement ($expected)"
  grep -q '"type":"webauthn.get"' "$d/client-data.json" || fail "$s: the clientDataJSON is not an assertion (webauthn.get)"
  rpid_hash=$(printf '%s' "$(cat "$d/rp-id")" | openssl dgst -sha256 -binary | od -An -tx1 | tr -d ' \\n')
  [ "$(od -An -tx1 -N32 "$d/authenticator-data.bin" | tr -d ' \\n')" = "$rpid_hash" ] || fail "$s: signed for another relying party than $(cat "$d/rp-id")"
  flags=$(od -An -tu1 -j32 -N1 "$d/authenticator-data.bin" | tr -d ' ')
  [ $((flags & 5)) -eq 5 ] || fail "$s: the authenticator did not verify the user (flags $flags)"
  cmp -s "$d/public-key.pem" "$3" || fail "$s: signed with another passkey than the one enrolled in $3"
  tmp=$(mktemp -d)
  openssl dgst -sha256 -binary < "$d/client-data.json" > "$tmp/client-data-hash"
  cat "$d/authenticator-data.bin" "$tmp/client-data-hash" > "$tmp/signed"
  case "$(cat "$d/algorithm")" in
    ES256|RS256) openssl dgst -sha256 -verify "$d/public-key.pem" -signature "$d/signature.bin" "$tmp/signed" >/dev/null || fail "$s: the passkey signature does not verify" ;;
    EdDSA) openssl pkeyutl -verify -pubin -inkey "$d/public-key.pem" -rawin -in "$tmp/signed" -sigfile "$d/signature.bin" >/dev/null || fail "$s: the passkey signature does not verify" ;;
    *) fail "$s: unknown algorithm" ;;
  esac
  rm -rf "$tmp"
  echo "$s: challenge is SHA-256 of the statement ($expected), user verified, passkey signature OK"
}
`;

function writePasskeyDecision(
  dir: string,
  base: string,
  d: AuditedDecision & { evidence: NonNullable<AuditedDecision['evidence']> },
): void {
  const folder = join(dir, 'decisions', `${base}.webauthn`);
  mkdirSync(folder);
  const ev = d.evidence;
  writeFileSync(join(folder, 'public-key.pem'), ev.publicKeyPem, { flag: 'wx' });
  writeFileSync(join(folder, 'authenticator-data.bin'), Buffer.from(ev.authenticatorData, 'base64url'), { flag: 'wx' });
  writeFileSync(join(folder, 'client-data.json'), Buffer.from(ev.clientDataJSON, 'base64url'), { flag: 'wx' });
  writeFileSync(join(folder, 'signature.bin'), Buffer.from(ev.signature, 'base64url'), { flag: 'wx' });
  writeFileSync(join(folder, 'algorithm'), ALGORITHM_NAMES[ev.algorithm] ?? String(ev.algorithm), { flag: 'wx' });
  writeFileSync(join(folder, 'rp-id'), ev.rpId, { flag: 'wx' });
}

/** Writes the export into `dir` (new or empty); returns the message for the user. */
export function exportAudit(dir: string, entries: readonly AuditEntry[], report: AuditReport): string {
  if (existsSync(dir) && readdirSync(dir).length) throw new UsageError('USAGE', `${dir} is not empty; export into a new or empty folder`);
  mkdirSync(join(dir, 'decisions'), { recursive: true });
  const who = principals([...report.decisions.map((d) => d.statement.approver), ...report.enrollments.map((e) => e.approver)]);
  /** key line → namespaces it signs in, per principal: only what each key was used for. */
  const signers = new Map<string, Set<string>>();
  const allow = (principal: string, keyLine: string, namespace: string) => {
    const k = `${principal} ${keyLine}`;
    signers.set(k, (signers.get(k) ?? new Set()).add(namespace));
  };
  const commands: string[] = [];
  const enrollmentFile = new Map<AuditedEnrollment, string>();
  if (report.enrollments.length) mkdirSync(join(dir, 'passkeys'));
  for (const e of report.enrollments) {
    const base = `passkeys/${String(e.auditId).padStart(6, '0')}-${who.get(e.approver)}`;
    writeFileSync(join(dir, `${base}.request.json`), e.request, { flag: 'wx' });
    writeFileSync(join(dir, `${base}.request.sig`), e.signature, { flag: 'wx' });
    writeFileSync(join(dir, `${base}.pem`), e.publicKeyPem, { flag: 'wx' });
    enrollmentFile.set(e, base);
    allow(who.get(e.approver)!, e.keyLine, PASSKEY_NAMESPACE);
    commands.push(
      `ssh-keygen -Y verify -f allowed_signers -I '${who.get(e.approver)}' -n ${PASSKEY_NAMESPACE} -s '${base}.request.sig' < '${base}.request.json'`,
    );
  }
  for (const d of report.decisions) {
    const s = d.statement;
    const base = `${String(d.auditId).padStart(6, '0')}-${safe(`${s.package}@${s.version}`)}-${s.decision}-${who.get(s.approver)}`;
    writeFileSync(join(dir, 'decisions', `${base}.json`), d.statementText, { flag: 'wx' });
    if (d.method === 'webauthn' && d.evidence && d.enrollment) {
      writePasskeyDecision(dir, base, { ...d, evidence: d.evidence });
      commands.push(`check_passkey 'decisions/${base}.json' 'decisions/${base}.webauthn' '${enrollmentFile.get(d.enrollment)}.pem'`);
      continue;
    }
    allow(who.get(s.approver)!, d.keyLine, NAMESPACE);
    writeFileSync(join(dir, 'decisions', `${base}.sig`), d.signature, { flag: 'wx' });
    commands.push(
      `ssh-keygen -Y verify -f allowed_signers -I '${who.get(s.approver)}' -n ${NAMESPACE} -s 'decisions/${base}.sig' < 'decisions/${base}.json'`,
    );
  }
  const lines = [...signers].map(([k, ns]) => {
    const [principal, ...key] = k.split(' ');
    return `${principal} namespaces="${[...ns].sort().join(',')}" ${key.join(' ')}\n`;
  });
  writeFileSync(join(dir, 'allowed_signers'), lines.join(''), { flag: 'wx' });
  writeFileSync(join(dir, 'audit.jsonl'), entries.map((e) => `${JSON.stringify(e)}\n`).join(''), { flag: 'wx' });
  const passkeys = report.decisions.some((d) => d.method === 'webauthn') ? PASSKEY_CHECK : '';
  writeFileSync(
    join(dir, 'verify.sh'),
    `#!/bin/sh\n# Checks every exported decision with OpenSSH and openssl alone. Run from this folder.\nset -e\n${passkeys}${commands.join('\n')}\n`,
    { flag: 'wx', mode: 0o755 },
  );
  const byPasskey = report.decisions.filter((d) => d.method === 'webauthn').length;
  return `Exported ${report.decisions.length} signed decision(s) (${byPasskey} by passkey), ${report.enrollments.length} passkey enrollment(s) and ${entries.length} audit entries to ${dir}.\nCheck them without Cordon: cd ${dir} && sh verify.sh\n`;
}
