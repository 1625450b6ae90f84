import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalStatement, parseStatement } from '../../server/approvals/statement';
import { DAY, HOUR, NOW, sightAndAnalyse, startApprovalMirror } from './approval-mirror';
import { testApprover } from './keys';
import type { TestMirror } from '../helpers/mirror';

const alice = testApprover('alice');
const bob = testApprover('bob');

describe('the approvals HTTP API', () => {
  let m: TestMirror;
  let api: string;
  const get = async (path: string) => {
    const res = await fetch(`${api}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const post = async (body: unknown) => {
    const res = await fetch(`${api}/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const statement = async (who: typeof alice, name: string, version: string, decision = 'approve') =>
    (
      await get(
        `/statement?package=${encodeURIComponent(name)}&version=${version}&decision=${decision}&reason=looked&key=${encodeURIComponent(who.approver.publicKey)}`,
      )
    ).body.text as string;
  /** State, audit log and decisions of a package, to compare before and after a refusal. */
  const snapshot = async (name: string) => ({
    versions: await m.mirror.runtime.store.versions.versionsOf(name),
    audit: await m.mirror.runtime.store.audit.ofPackage(name),
    decisions: await m.mirror.runtime.approvals.decisionsOf(name, '2.0.0'),
  });

  before(async () => {
    m = await startApprovalMirror([alice, bob], { quorum: { high: 2, critical: 2 }, packages: [{ match: 'gated', approval: 'always' }] });
    api = `${m.mirror.url}-/cordon/api/v1/approvals`;
    m.upstream.publish('@acme/lib', '1.0.0', { time: NOW - 30 * DAY });
    m.upstream.publish('@acme/lib', '2.0.0', { time: NOW - HOUR, scripts: { install: 'node-gyp rebuild' } });
    m.upstream.publish('gated', '1.0.0', { time: NOW - 30 * DAY });
    await sightAndAnalyse(m, '@acme/lib');
    await sightAndAnalyse(m, 'gated');
    m.upstream.publish('gated', '1.0.1', { time: NOW - HOUR });
    await sightAndAnalyse(m, 'gated');
  });
  after(() => m.stop());

  test('mirror id: generated once, stable, and named in every statement', async () => {
    const { body } = await get('/mirror');
    assert.match(body.mirrorId, /^cordon-/);
    assert.equal((await get('/mirror')).body.mirrorId, body.mirrorId);
    assert.deepEqual(
      body.approvers.map((a: { name: string }) => a.name),
      ['alice', 'bob'],
    );
    assert.equal(parseStatement(await statement(alice, '@acme/lib', '2.0.0')).mirrorId, body.mirrorId);
  });

  test('refusals over HTTP: status, { error, code }, and nothing changed', async () => {
    const text = await statement(alice, '@acme/lib', '2.0.0');
    const s = parseStatement(text);
    const before = await snapshot('@acme/lib');
    const forged = canonicalStatement({ ...s, version: '1.0.0' });
    const cases: Array<[unknown, number, string]> = [
      ['{not json', 400, 'BAD_REQUEST'],
      [{ package: '@acme/lib', version: '2.0.0', statement: text }, 400, 'BAD_REQUEST'],
      [{ package: '@acme/lib', version: '2.0.0', statement: text, signature: 'nope' }, 400, 'SIGNATURE_MALFORMED'],
      [{ package: '@acme/lib', version: '2.0.0', statement: text, signature: testApprover('eve').sign(text) }, 403, 'UNKNOWN_SIGNER'],
      [{ package: '@acme/lib', version: '2.0.0', statement: forged, signature: alice.sign(text) }, 403, 'BAD_SIGNATURE'],
      [{ package: '@acme/lib', version: '2.0.0', statement: text, signature: bob.sign(text) }, 403, 'APPROVER_MISMATCH'],
      [{ package: '@acme/lib', version: '1.0.0', statement: forged, signature: alice.sign(forged) }, 409, 'NOT_DECIDABLE'],
      [{ package: '@acme/lib', version: '1.0.0', statement: text, signature: alice.sign(text) }, 409, 'WRONG_VERSION'],
      [
        {
          package: '@acme/lib',
          version: '2.0.0',
          statement: canonicalStatement({ ...s, findingsDigest: '0'.repeat(64) }),
          signature: alice.sign(canonicalStatement({ ...s, findingsDigest: '0'.repeat(64) })),
        },
        409,
        'DIGEST_CHANGED',
      ],
    ];
    for (const [body, status, code] of cases) {
      const r = await post(body);
      assert.deepEqual([r.status, r.body.code], [status, code], JSON.stringify(r.body));
      assert.equal(typeof r.body.error, 'string');
    }
    assert.deepEqual(await snapshot('@acme/lib'), before);
    const unknownKey = await get(
      `/statement?package=@acme/lib&version=2.0.0&decision=approve&key=${encodeURIComponent(testApprover('eve').approver.publicKey)}`,
    );
    assert.deepEqual([unknownKey.status, unknownKey.body.code], [403, 'UNKNOWN_SIGNER']);
    assert.deepEqual([(await get('/nope')).status, (await get('/nope')).body.code], [404, 'NO_SUCH_ROUTE']);
  });

  test('accepted decisions, the decisions of a version, and the audit log in pages', async () => {
    const text = await statement(alice, '@acme/lib', '2.0.0');
    const ok = await post({ package: '@acme/lib', version: '2.0.0', statement: text, signature: alice.sign(text) });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual(
      [ok.body.status.state, ok.body.status.approvedBy, ok.body.status.required, ok.body.transition],
      ['held', ['alice'], 2, null],
    );
    const replay = await post({ package: '@acme/lib', version: '2.0.0', statement: text, signature: alice.sign(text) });
    assert.deepEqual([replay.status, replay.body.code], [409, 'NONCE_REUSED']);
    const decisions = await get('/decisions?package=@acme/lib&version=2.0.0');
    assert.equal(decisions.body.decisions.length, 1);
    assert.equal(decisions.body.decisions[0].statement, text);
    const all = (await get('/audit?limit=1000')).body;
    const paged: unknown[] = [];
    for (let after = 0; ; ) {
      const page = (await get(`/audit?after=${after}&limit=2`)).body;
      paged.push(...page.entries);
      if (page.next === null) break;
      after = page.next;
    }
    assert.deepEqual(paged, all.entries);
    assert.deepEqual(all.head, { id: all.entries.at(-1).id, hash: all.entries.at(-1).hash });
    assert.deepEqual([(await get('/audit?after=-1')).status], [400]);
  });

  test('approval: always — a clean version past its cooldown stays hidden until a signed approval', async () => {
    m.clock.advance(3 * DAY);
    const hidden = await fetch(`${m.mirror.url}gated/-/gated-1.0.1.tgz`);
    assert.equal(hidden.status, 403);
    assert.equal((await m.mirror.runtime.store.versions.versionOf('gated', '1.0.1'))?.analysis, 'clean');
    const text = await statement(bob, 'gated', '1.0.1');
    const ok = await post({ package: 'gated', version: '1.0.1', statement: text, signature: bob.sign(text) });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.transition.cause, 'approved', 'past the cooldown: not a fast-track');
    assert.equal((await fetch(`${m.mirror.url}gated/-/gated-1.0.1.tgz`)).status, 200);
  });
});
