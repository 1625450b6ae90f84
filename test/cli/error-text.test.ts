import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApprovalError } from '../../server/approvals/errors';
import { EXIT, exitCodeFor, printable, redact, reportError, UsageError } from '../../server/cli/error-text';
import { MirrorError } from '../../server/cli/cordon-client';

test('codes map to exit codes: refused 1, usage or key 2, mirror unavailable 3', () => {
  const table: Array<[string, number]> = [
    ['DIGEST_CHANGED', EXIT.refused],
    ['NONCE_REUSED', EXIT.refused],
    ['UNKNOWN_SIGNER', EXIT.refused],
    ['USAGE', EXIT.usage],
    ['KEY_UNREADABLE', EXIT.usage],
    ['MIRROR_UNREACHABLE', EXIT.unavailable],
    ['INTERNAL', EXIT.unavailable],
  ];
  for (const [code, exit] of table) assert.equal(exitCodeFor(code), exit, code);
});

test('one line with the code, the next step, and never key material or terminal escapes', () => {
  const lines: string[] = [];
  const write = (s: string) => void lines.push(s);
  assert.equal(
    reportError('approve', new MirrorError('MIRROR_UNREACHABLE', 'cannot reach the Cordon mirror at http://x', null), undefined, write),
    3,
  );
  assert.equal(
    lines.pop(),
    'cordon approve: cannot reach the Cordon mirror at http://x. Check --registry or CORDON_URL and that the mirror is running. [MIRROR_UNREACHABLE]\n',
  );
  assert.equal(
    reportError(
      'approve',
      new ApprovalError('KEY_UNREADABLE', 'bad\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----'),
      undefined,
      write,
    ),
    2,
  );
  assert.doesNotMatch(lines.pop()!, /b3BlbnNzaA|BEGIN OPENSSH/);
  assert.equal(reportError('show', new UsageError('USAGE', 'expected one pkg@version'), 'usage: x\n', write), 2);
  assert.deepEqual(lines.splice(0), ['cordon show: expected one pkg@version. [USAGE]\n', 'usage: x\n']);
  assert.equal(printable('evil\u001b[2J\u202eexe.js\ttab\nline'), 'evil\\u{1b}[2J\\u{202e}exe.js\ttab\nline');
  assert.equal(redact('x -----BEGIN OPENSSH PRIVATE KEY-----\nAAAA'), 'x [private key removed]');
});
