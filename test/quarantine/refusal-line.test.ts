import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerSafe, hiddenVersionsNotice, LINE_MAX, refusalLine } from '../../server/quarantine/refusal-line';
import type { VersionDecision } from '../../server/policy/version-state';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const held = (reason: string): VersionDecision => ({ visible: false, state: 'held', code: 'HELD', releaseAt: null, reason });
const quarantined: VersionDecision = {
  visible: false,
  state: 'quarantined',
  code: 'QUARANTINED',
  releaseAt: NOW + 3_600_000,
  reason: 'published less than the 72h cooldown ago',
};
/** What Node, llhttp and every client accept in a status line or header value, with nothing a terminal acts on. */
const HEADER_SAFE = /^[\x20-\x7e]*$/;

test('headerSafe keeps printable ASCII and turns every control character into a space, anything else into ?', () => {
  assert.equal(headerSafe('a\r\nSet-Cookie: x=1'), 'a Set-Cookie: x=1');
  assert.equal(headerSafe('\u001b[2J\tclear\u0007'), '[2J clear');
  assert.equal(headerSafe('caf\u00e9 \u202e\u2066 \u{1F600}'), 'caf? ?? ?');
  assert.equal(headerSafe('\u0085next\u2028line'), 'next line');
});

test('headerSafe bounds the length and marks a value cut short', () => {
  assert.equal(headerSafe('x'.repeat(50), 20), `${'x'.repeat(17)}...`);
  assert.equal(headerSafe('short', 20), 'short');
  assert.equal(headerSafe('y'.repeat(5000)).length, LINE_MAX);
});

test('a refusal line names the version, why, until when and where to look', () => {
  assert.equal(
    refusalLine('demo-pkg', '1.2.0', quarantined, NOW, 'http://mirror/-/cordon/packages/demo-pkg/1.2.0'),
    'demo-pkg@1.2.0 quarantined by Cordon until 2026-11-20T13:00:00.000Z: published less than the 72h cooldown ago - review http://mirror/-/cordon/packages/demo-pkg/1.2.0',
  );
  assert.match(
    refusalLine('@acme/x', '1.0.0', held('analysis found install-script/new-postinstall [critical]: adds a postinstall'), NOW, 'http://m/'),
    /^@acme\/x@1\.0\.0 held by Cordon for review: analysis found install-script\/new-postinstall \[critical\]/,
  );
  assert.match(
    refusalLine('p', '1.0.0', { ...quarantined, releaseAt: null }, NOW, 'http://m/'),
    /quarantined by Cordon until an approver signs it off/,
  );
  assert.match(refusalLine('p', '1.0.0', { ...quarantined, releaseAt: NOW - 1 }, NOW, 'http://m/'), /until its analysis finishes/);
  assert.match(
    refusalLine('p', '1.0.0', { ...held('x'), state: 'rejected', code: 'REJECTED' }, NOW, 'http://m/'),
    /rejected by a Cordon approver/,
  );
  assert.match(refusalLine('p', '1.0.0', { ...held('x'), state: 'blocked', code: 'BLOCKED' }, NOW, 'http://m/'), /blocked by Cordon/);
});

test('a hostile version, reason or link cannot add a header, a line or a terminal escape, and the line stays bounded', () => {
  const hostile = 'x\r\nSet-Cookie: session=stolen\r\n\r\n<html>\u001b]8;;http://evil\u0007click\u001b]8;;\u0007\u001b[31m';
  const line = refusalLine(`evil`, `1.0.0${hostile}`, held(hostile.repeat(40)), NOW, `http://m/${hostile}`);
  assert.match(line, HEADER_SAFE);
  assert.ok(line.length <= LINE_MAX, `${line.length} characters`);
  assert.doesNotMatch(line, /[\r\n\u001b\u0007]/);
  assert.match(line, /^evil@1\.0\.0x Set-Cookie: session=stolen <html>/);
  assert.match(line, /\.\.\./, 'the long reason is marked as cut');
});

test('the packument notice names the hidden versions newest first, with their state, and is bounded', () => {
  const notice = hiddenVersionsNotice(
    'demo-pkg',
    [
      { version: '1.1.0', decision: held('r') },
      { version: '1.2.0', decision: quarantined },
    ],
    NOW,
    'http://mirror/-/cordon/packages/demo-pkg',
  );
  assert.equal(
    notice,
    'Cordon holds back demo-pkg 1.2.0 quarantined until 2026-11-20T13:00:00.000Z, 1.1.0 held for review. Why: cordon why demo-pkg@<version>, or http://mirror/-/cordon/packages/demo-pkg',
  );
  assert.equal(hiddenVersionsNotice('demo-pkg', [], NOW, 'http://m/'), null);
  assert.match(hiddenVersionsNotice('one', [{ version: '2.0.0', decision: held('r') }], NOW, 'http://m/')!, /cordon why one@2\.0\.0,/);

  const many = Array.from({ length: 500 }, (_, i) => ({ version: `1.0.${i}\r\nX-Evil: 1`, decision: held('r') }));
  const bounded = hiddenVersionsNotice('many', many, NOW, 'http://m/')!;
  assert.match(bounded, HEADER_SAFE);
  assert.ok(bounded.length <= LINE_MAX);
  assert.match(bounded, /and 494 more/);
});
