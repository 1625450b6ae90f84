/**
 * A real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with Chrome's virtual
 * authenticator (CDP WebAuthn domain) standing in for a passkey with user verification.
 */
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CORDON_CHROMIUM ?? '/usr/bin/chromium';

/** Launches headless Chromium; throws a clear message when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

/** One person at one browser: a page, its console and errors, and (optionally) a passkey authenticator. */
export interface Person {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cdp: CDPSession;
  /** Console messages and uncaught page errors, as text. */
  readonly console: string[];
  readonly errors: string[];
  authenticatorId: string | null;
}

/** A fresh context and page at `width`×`height`. */
export async function person(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
  isMobile = false,
  options: { timezoneId?: string; locale?: string } = {},
): Promise<Person> {
  const context = await browser.newContext({
    viewport,
    isMobile,
    hasTouch: isMobile,
    deviceScaleFactor: 1,
    timezoneId: options.timezoneId ?? 'UTC',
    locale: options.locale ?? 'en-US',
  });
  // Every wait in these tests is for something local: fail fast and say what was missing.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const p: Person = { context, page, cdp, console: [], errors: [], authenticatorId: null };
  page.on('console', (m) => p.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => p.errors.push(e.message));
  return p;
}

/** Adds a platform authenticator that holds resident keys and verifies the user (as a PIN or biometric would). */
export async function addPasskeyAuthenticator(p: Person): Promise<string> {
  await p.cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await p.cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  p.authenticatorId = authenticatorId;
  return authenticatorId;
}

/** The credentials the person's authenticator holds. */
export async function credentials(p: Person): Promise<Array<{ credentialId: string; signCount: number; rpId?: string }>> {
  const { credentials: list } = await p.cdp.send('WebAuthn.getCredentials', { authenticatorId: p.authenticatorId! });
  return list;
}
