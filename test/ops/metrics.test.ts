import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DAY, HOUR, NOW, startTestMirror, type TestMirror } from '../helpers/mirror';
import { scrape, parsePrometheus } from '../helpers/prometheus';
import { testApprover } from '../approvals/keys';

const alice = testApprover('alice');
let m: TestMirror;
let base: string;

before(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cordon-metrics-config-')), 'cordon.yaml');
  writeFileSync(file, stringify({ approvers: [{ name: 'alice', key: alice.approver.line }] }));
  m = await startTestMirror({ now: NOW, env: { CORDON_CONFIG: file } });
  base = m.mirror.url;
  m.upstream.publish('metered', '1.0.0', { time: NOW - 30 * DAY });
  m.upstream.publish('metered', '1.0.1', {
    time: NOW - HOUR,
    scripts: { postinstall: 'node x.js' },
    files: { 'x.js': 'require("child_process").exec("id")' },
  });
  m.upstream.publish('metered', '1.0.2', { time: NOW - HOUR });
});
after(() => m.stop());

test('the metrics page is Prometheus text that parses, with a type for every Cordon family', async () => {
  const res = await fetch(`${base}-/cordon/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  const parsed = parsePrometheus(text);
  const families = [...parsed.types.keys()].filter((n) => n.startsWith('cordon_')).sort();
  assert.deepEqual(families, [
    'cordon_analyses_total',
    'cordon_analysis_duration_seconds',
    'cordon_analysis_jobs',
    'cordon_decisions_total',
    'cordon_http_request_duration_seconds',
    'cordon_notification_deliveries',
    'cordon_notifications_total',
    'cordon_refusals_total',
    'cordon_upstream_errors_total',
    'cordon_upstream_request_duration_seconds',
    'cordon_upstream_requests_total',
    'cordon_versions',
    'cordon_waiting_oldest_seconds',
    'cordon_waiting_versions',
  ]);
  assert.equal(parsed.types.get('cordon_analysis_duration_seconds'), 'histogram');
  assert.equal(parsed.types.get('cordon_refusals_total'), 'counter');
  assert.equal(parsed.types.get('cordon_versions'), 'gauge');
  assert.ok(parsed.value('process_resident_memory_bytes')! > 0, 'process metrics too');
});

test('traffic, analyses, refusals and decisions show up in the counters and gauges', async () => {
  await (await fetch(`${base}metered`)).arrayBuffer();
  await m.mirror.pipeline.drain();
  assert.equal((await m.mirror.runtime.store.versions.versionOf('metered', '1.0.1'))?.state, 'held');
  assert.equal((await fetch(`${base}metered/-/metered-1.0.0.tgz`)).status, 200);
  assert.equal((await fetch(`${base}metered/-/metered-1.0.1.tgz`)).status, 403);
  assert.equal((await fetch(`${base}metered/-/metered-1.0.1.tgz`, { method: 'HEAD' })).status, 403);
  assert.equal((await fetch(`${base}metered/1.0.1`)).status, 403);
  assert.equal((await fetch(`${base}metered/-/metered-1.0.2.tgz`)).status, 403);
  // A decision refused for its signature, then one accepted.
  const api = `${base}-/cordon/api/v1/approvals`;
  const st = (await (
    await fetch(
      `${api}/statement?package=metered&version=1.0.1&decision=approve&reason=ok&key=${encodeURIComponent(alice.approver.publicKey)}`,
    )
  ).json()) as { text: string };
  const post = (signature: string) =>
    fetch(`${api}/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ package: 'metered', version: '1.0.1', statement: st.text, signature }),
    });
  assert.equal((await post('not a signature')).status, 400);
  assert.equal((await post(alice.sign(st.text))).status, 201);

  const s = await scrape(`${base}-/cordon/metrics`);
  assert.equal(s.value('cordon_versions', { state: 'released' }), 1);
  assert.equal(s.value('cordon_versions', { state: 'approved' }), 1);
  assert.equal(s.value('cordon_versions', { state: 'quarantined' }), 1);
  assert.equal(s.value('cordon_versions', { state: 'held' }), undefined, 'no version is held any more');
  assert.equal(s.value('cordon_refusals_total', { code: 'HELD' }), 3, 'tarball GET and HEAD, and the version manifest');
  assert.equal(s.value('cordon_refusals_total', { code: 'QUARANTINED' }), 1);
  assert.equal(s.value('cordon_analyses_total', { outcome: 'flagged' }), 1);
  assert.equal(s.value('cordon_analyses_total', { outcome: 'clean' }), 1);
  assert.equal(s.value('cordon_analysis_duration_seconds_count', { outcome: 'flagged' }), 1);
  assert.equal(s.value('cordon_analysis_duration_seconds_bucket', { outcome: 'clean', le: '+Inf' }), 1);
  assert.equal(s.value('cordon_decisions_total', { method: 'ssh', decision: 'approve', outcome: 'SIGNATURE_MALFORMED' }), 1);
  assert.equal(s.value('cordon_decisions_total', { method: 'ssh', decision: 'approve', outcome: 'accepted' }), 1);
  assert.equal(s.value('cordon_analysis_jobs', { runner: 'embedded', status: 'done' }), 2);
  assert.equal(s.value('cordon_analysis_jobs', { runner: 'embedded', status: 'waiting' }), 0);
  assert.equal(s.value('cordon_http_request_duration_seconds_count', { kind: 'packument', status: '2xx' }), 1);
  assert.equal(s.value('cordon_http_request_duration_seconds_count', { kind: 'tarball', status: '2xx' }), 1);
  assert.equal(s.value('cordon_http_request_duration_seconds_count', { kind: 'tarball', status: '4xx' }), 3);
  assert.equal(s.value('cordon_http_request_duration_seconds_count', { kind: 'version', status: '4xx' }), 1);
  // The mirror fetched packuments; the released tarball was served from the verified store, which the
  // analysis (on a worker thread, whose requests these counters do not see) had already filled.
  assert.ok(s.sum('cordon_upstream_requests_total', { kind: 'packument', status: '200' }) >= 1);
  assert.equal(s.value('cordon_upstream_requests_total', { kind: 'tarball', status: '200' }), undefined);
  assert.ok(s.sum('cordon_upstream_request_duration_seconds_count', { kind: 'packument' }) >= 1);
});

test('the waiting queue is reported by state and age, and moves as time passes', async () => {
  let s = await scrape(`${base}-/cordon/metrics`);
  assert.equal(s.value('cordon_waiting_versions', { state: 'quarantined', age: '<1h' }), 1);
  assert.equal(s.sum('cordon_waiting_versions', { state: 'held' }), 0);
  assert.equal(s.sum('cordon_waiting_versions'), 1);
  m.clock.advance(2 * DAY);
  s = await scrape(`${base}-/cordon/metrics`);
  assert.equal(s.value('cordon_waiting_versions', { state: 'quarantined', age: '<1h' }), 0);
  assert.equal(s.value('cordon_waiting_versions', { state: 'quarantined', age: '1d-3d' }), 1);
  assert.equal(s.value('cordon_waiting_oldest_seconds', { state: 'quarantined' }), (2 * DAY) / 1000);
  m.clock.advance(2 * DAY);
  s = await scrape(`${base}-/cordon/metrics`);
  assert.equal(s.sum('cordon_waiting_versions'), 0, 'cooldown over and analysed clean: visible, no longer waiting');
});

test('upstream errors are counted by kind and reason', async () => {
  m.upstream.publish('flaky-up', '1.0.0', { time: NOW - 30 * DAY });
  await (await fetch(`${base}flaky-up`)).arrayBuffer();
  m.upstream.failTarballs = 1;
  assert.equal((await fetch(`${base}flaky-up/-/flaky-up-1.0.0.tgz`)).status >= 500, true);
  const s = await scrape(`${base}-/cordon/metrics`);
  assert.equal(s.value('cordon_upstream_errors_total', { kind: 'tarball', reason: 'http_503' }), 1);
  assert.equal(s.value('cordon_upstream_requests_total', { kind: 'tarball', status: '503' }), 1);
});
