import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notificationDocument, slackMessage, slackText } from '../../server/notify/payload';
import { eventOf, NOTIFY_EVENTS } from '../../server/notify/events';
import { signBody, verifyBody } from '../../server/notify/signature';
import type { StoredNotifyEvent } from '../../storage';

const T = Date.parse('2026-11-20T12:00:00Z');
const hostile = '<!channel> *urgent* <https://evil.test|click here> & `rm -rf` ~x~ _y_ | z\nsecond line\u2028third';
const event: StoredNotifyEvent = {
  id: 7,
  uid: '2b0c5a8e-1f7e-4c55-9d2a-3f1f0d7a9e11',
  event: 'held',
  package: '@acme/lib',
  version: '2.0.0',
  fromState: 'quarantined',
  toState: 'held',
  reason: `analysis found ${hostile}`,
  cause: 'analysis-flagged',
  at: T,
  facts: {
    integrity: 'sha512-AAAA',
    publishedAt: T - 3_600_000,
    maxSeverity: 'critical',
    findingsCount: 3,
    worstFinding: {
      category: 'install',
      rule: 'install-script/new-postinstall',
      severity: 'critical',
      message: hostile,
      file: 'evil<>.js',
      line: 4,
      evidence: 'x',
    },
  },
};

test('every state change maps to its event; an explicit event wins; unknown ones raise none', () => {
  assert.deepEqual(
    ['held', 'approved', 'rejected', 'blocked', 'released', 'quarantined'].map((to) => eventOf({ to: to as never })),
    ['held', 'approved', 'rejected', 'blocked', null, null],
  );
  assert.equal(eventOf({ to: 'held', event: 'cascaded' }), 'cascaded');
  assert.equal(eventOf({ to: 'held', event: 'bogus' as never }), null);
  assert.deepEqual([...NOTIFY_EVENTS], ['held', 'approved', 'rejected', 'blocked', 'cascaded']);
});

test('the JSON document names the version, its state, worst finding, counts, times and link', () => {
  const doc = notificationDocument(event, 'https://cordon.example.test/-/cordon/packages/@acme/lib/2.0.0');
  assert.deepEqual(doc, {
    id: event.uid,
    event: 'held',
    package: '@acme/lib',
    version: '2.0.0',
    state: 'held',
    previousState: 'quarantined',
    reason: event.reason,
    cause: 'analysis-flagged',
    at: '2026-11-20T12:00:00.000Z',
    publishedAt: '2026-11-20T11:00:00.000Z',
    releaseAt: null,
    worstFinding: { rule: 'install-script/new-postinstall', severity: 'critical', message: hostile, file: 'evil<>.js', line: 4 },
    findingsCount: 3,
    maxSeverity: 'critical',
    integrity: 'sha512-AAAA',
    url: 'https://cordon.example.test/-/cordon/packages/@acme/lib/2.0.0',
  });
  assert.equal(notificationDocument({ ...event, event: 'approved', toState: 'approved' }, 'u').releaseAt, '2026-11-20T12:00:00.000Z');
});

test('the Slack body cannot be made to mention, link or format by text from a package', () => {
  const message = slackMessage(event, 'https://cordon.example.test/-/cordon/packages/@acme/lib/2.0.0');
  const all = JSON.stringify(message);
  const texts = [
    message.text,
    (message.blocks[0] as { text: { text: string } }).text.text,
    (message.blocks[1] as { elements: Array<{ text: string }> }).elements[0]!.text,
  ];
  for (const text of texts) {
    // The only `<…>` left is the mirror's own review link.
    const links = text.match(/<[^>]*>/g) ?? [];
    assert.ok(
      links.every((l) => l === '<https://cordon.example.test/-/cordon/packages/@acme/lib/2.0.0|Review @acme/lib@2.0.0>'),
      `unexpected link in ${text}`,
    );
    assert.ok(!/<!channel>|<https:\/\/evil/.test(text));
    assert.ok(
      !/(^|[^\u200b])[*_~`|](?!\u200b)/.test(text.replace(/<https:\/\/cordon[^>]*>/, '').replace(/^\*[^\n]*\*/, '')),
      `formatting marks are neutralised in ${text}`,
    );
  }
  assert.ok(all.includes('&lt;!channel&gt;'));
  assert.ok(!message.text.includes('\n'), 'a finding cannot start new lines');
  assert.equal(slackText('x'.repeat(1000)).length, 300);
});

test('the signature is HMAC-SHA256 over the exact bytes, compared in constant time', () => {
  const body = '{"a":1}';
  assert.equal(
    signBody('k'.repeat(16), body),
    `sha256=${require('node:crypto').createHmac('sha256', 'k'.repeat(16)).update(body).digest('hex')}`,
  );
  assert.equal(verifyBody('k'.repeat(16), body, signBody('k'.repeat(16), body)), true);
  assert.equal(verifyBody('k'.repeat(16), '{"a":1} ', signBody('k'.repeat(16), body)), false);
  assert.equal(verifyBody('k'.repeat(16), body, undefined), false);
  assert.equal(verifyBody('k'.repeat(16), body, 'sha256=00'), false);
});
