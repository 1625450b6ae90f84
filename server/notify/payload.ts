/**
 * The bodies a notification is sent as: Cordon's JSON, or a Slack-compatible message. Pure. Everything
 * that came from a package (reason, finding message, evidence, file name) is hostile text: Slack gets it
 * escaped (no links, mentions or formatting injected) and shortened.
 */
import type { StoredNotifyEvent } from '../../storage';
import { VISIBLE_STATES } from '../policy/version-state';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The JSON document one event is announced with (format `json`). */
export interface NotificationDocument {
  readonly id: string;
  readonly event: string;
  readonly package: string;
  readonly version: string;
  readonly state: string;
  readonly previousState: string | null;
  readonly reason: string;
  readonly cause: string;
  /** When the state changed. */
  readonly at: string;
  /** When upstream published the version. */
  readonly publishedAt: string | null;
  /** When the version became installable here (approved); null while only a person can release it. */
  readonly releaseAt: string | null;
  readonly worstFinding: {
    readonly rule: string;
    readonly severity: string;
    readonly message: string;
    readonly file: string | null;
    readonly line: number | null;
  } | null;
  readonly findingsCount: number;
  readonly maxSeverity: string | null;
  readonly integrity: string | null;
  /** The version's review page. */
  readonly url: string;
}

/** The document for `event`, linking to `reviewUrl`. */
export function notificationDocument(event: StoredNotifyEvent, reviewUrl: string): NotificationDocument {
  const worst = event.facts.worstFinding;
  return {
    id: event.uid,
    event: event.event,
    package: event.package,
    version: event.version,
    state: event.toState,
    previousState: event.fromState,
    reason: event.reason,
    cause: event.cause,
    at: iso(event.at)!,
    publishedAt: iso(event.facts.publishedAt),
    releaseAt: VISIBLE_STATES.has(event.toState) ? iso(event.at) : null,
    worstFinding: worst
      ? { rule: worst.rule, severity: worst.severity, message: worst.message, file: worst.file ?? null, line: worst.line ?? null }
      : null,
    findingsCount: event.facts.findingsCount,
    maxSeverity: event.facts.maxSeverity,
    integrity: event.facts.integrity,
    url: reviewUrl,
  };
}

/** Escapes text for Slack mrkdwn: `&`, `<`, `>` (links and mentions), formatting marks and line breaks; cut to `max`. */
export function slackText(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return cut
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([*_~`|])/g, '\u200b$1\u200b');
}

const HEADLINE: Record<string, string> = {
  held: 'is held for review',
  approved: 'was approved and can be installed',
  rejected: 'was rejected',
  blocked: 'is blocked',
  cascaded: 'is held because of another version',
};

/** A Slack incoming-webhook message for `event` (format `slack`). */
export function slackMessage(event: StoredNotifyEvent, reviewUrl: string): { text: string; blocks: unknown[] } {
  const doc = notificationDocument(event, reviewUrl);
  const id = slackText(`${doc.package}@${doc.version}`, 200);
  const headline = `Cordon: ${id} ${HEADLINE[doc.event] ?? `— ${slackText(doc.event, 40)}`}`;
  const worst = doc.worstFinding
    ? `Worst finding: [${slackText(doc.worstFinding.severity, 20)}] ${slackText(doc.worstFinding.rule, 80)}: ${slackText(doc.worstFinding.message)}${doc.worstFinding.file ? ` (${slackText(doc.worstFinding.file, 120)}${doc.worstFinding.line ? `:${doc.worstFinding.line}` : ''})` : ''}`
    : 'No findings.';
  const facts = [
    `${doc.findingsCount} finding${doc.findingsCount === 1 ? '' : 's'}`,
    doc.publishedAt ? `published ${doc.publishedAt}` : null,
    doc.releaseAt ? `installable since ${doc.releaseAt}` : null,
    `event ${slackText(doc.event, 40)}`,
  ]
    .filter(Boolean)
    .join(' · ');
  // The link is built from the mirror's own URL and an encoded name: nothing in it came from the package unencoded.
  const link = `<${doc.url}|Review ${id}>`;
  return {
    text: `${headline}: ${slackText(doc.reason)} ${link}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${headline}*\n${slackText(doc.reason)}\n${worst}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${facts} · ${link}` }] },
    ],
  };
}
