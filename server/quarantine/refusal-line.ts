/**
 * The one-line words for clients that show only a status line or a notice header (pnpm, Yarn and Bun
 * print no response body for a tarball): which version, why, until when, where to look. Every line is
 * safe in an HTTP header — printable ASCII only, bounded, no CR/LF or escapes from package data.
 */
import semver from 'semver';
import type { VersionDecision } from '../policy/version-state';

/** Longest line Cordon puts in a reason phrase or an `npm-notice` header. */
export const LINE_MAX = 400;
/** Longest share of a line a version's reason may take. */
const REASON_MAX = 180;
/** Hidden versions a packument notice names before it says how many more there are. */
const NOTICE_VERSIONS = 6;

/**
 * Printable ASCII of at most `max` characters: whitespace and control characters (CR, LF, tab, ESC, …)
 * become one space, any other character outside ASCII becomes `?`, and a value cut short ends in `...`.
 */
export function headerSafe(text: string, max = LINE_MAX): string {
  const flat = String(text)
    .replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, '?')
    .trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 3)).trimEnd()}...`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** "quarantined until …", "held for review", …: the state of a hidden version in a few words. */
function stateWords(decision: VersionDecision, now: number): string {
  switch (decision.code ?? 'QUARANTINED') {
    case 'HELD':
      return 'held by Cordon for review';
    case 'REJECTED':
      return 'rejected by a Cordon approver';
    case 'BLOCKED':
      return 'blocked by Cordon';
    default:
      if (decision.releaseAt === null) return 'quarantined by Cordon until an approver signs it off';
      if (decision.releaseAt <= now) return 'quarantined by Cordon until its analysis finishes';
      return `quarantined by Cordon until ${iso(decision.releaseAt)}`;
  }
}

/** `demo-pkg@1.1.0 held by Cordon for review: <reason> - review <link>`, header-safe. */
export function refusalLine(name: string, version: string, decision: VersionDecision, now: number, reviewLink: string): string {
  const id = headerSafe(`${name}@${version}`, 240);
  return headerSafe(
    `${id} ${stateWords(decision, now)}: ${headerSafe(decision.reason, REASON_MAX)} - review ${headerSafe(reviewLink, LINE_MAX)}`,
  );
}

/** One hidden version as the packument notice names it. */
export interface HiddenVersion {
  readonly version: string;
  readonly decision: VersionDecision;
}

function newestFirst(a: HiddenVersion, b: HiddenVersion): number {
  const va = semver.valid(a.version);
  const vb = semver.valid(b.version);
  if (va && vb) return semver.rcompare(va, vb);
  if (va || vb) return va ? -1 : 1;
  return b.version.localeCompare(a.version);
}

/** A short state for the notice: `quarantined until …`, `held`, `rejected`, `blocked`. */
function shortState(decision: VersionDecision, now: number): string {
  const code = decision.code ?? 'QUARANTINED';
  if (code === 'HELD') return 'held for review';
  if (code !== 'QUARANTINED') return code.toLowerCase();
  if (decision.releaseAt === null) return 'quarantined, needs an approval';
  return decision.releaseAt <= now ? 'quarantined, analysis pending' : `quarantined until ${iso(decision.releaseAt)}`;
}

/**
 * The `npm-notice` of a packument with hidden versions: which versions Cordon holds back and in which
 * state, newest first, so `npm install pkg@<hidden>` says more than "No matching version". Null when
 * nothing is hidden.
 */
export function hiddenVersionsNotice(name: string, hidden: readonly HiddenVersion[], now: number, packageLink: string): string | null {
  if (hidden.length === 0) return null;
  const sorted = [...hidden].sort(newestFirst);
  const named = sorted.slice(0, NOTICE_VERSIONS).map((h) => `${headerSafe(h.version, 40)} ${shortState(h.decision, now)}`);
  const more = sorted.length > NOTICE_VERSIONS ? ` and ${sorted.length - NOTICE_VERSIONS} more` : '';
  const safeName = headerSafe(name, 214);
  const which = sorted.length === 1 ? headerSafe(sorted[0]!.version, 40) : '<version>';
  return headerSafe(
    `Cordon holds back ${safeName} ${named.join(', ')}${more}. Why: cordon why ${safeName}@${which}, or ${headerSafe(packageLink)}`,
  );
}
