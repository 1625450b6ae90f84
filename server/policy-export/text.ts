/** Small helpers the export formats share: quoting, one-line comments, safe names and versions, durations. */
import semver from 'semver';
import { headerSafe } from '../quarantine/refusal-line';
import type { ClientPolicy, FastTracked } from '../quarantine/client-policy';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** A double-quoted string valid in JSON, YAML and TOML (JSON escapes are a subset of both). */
export const quote = (text: string): string => JSON.stringify(text);

/** Text for a `#` comment: one printable ASCII line, bounded. */
export const comment = (text: string): string => `# ${headerSafe(text, 300)}`;

/** An npm package name as the registry allows it; anything else is left out of a config file. */
export function isSafeName(name: string): boolean {
  return /^(@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/.test(name) && name.length <= 214;
}

/** Fast-tracked versions whose name and version are plain enough to write into a config file. */
export function safeFastTracked(policy: ClientPolicy): FastTracked[] {
  return policy.fastTracked.filter((f) => isSafeName(f.package) && semver.valid(f.version) === f.version);
}

/** Versions of the same package together: `name -> [versions]`, in the policy's order. */
export function byPackage(entries: readonly FastTracked[]): Map<string, FastTracked[]> {
  const out = new Map<string, FastTracked[]>();
  for (const f of entries) out.set(f.package, [...(out.get(f.package) ?? []), f]);
  return out;
}

/** `demo-pkg@1.1.0 until 2026-11-23T10:00:00.000Z, 1.2.0 until …`, for a comment. */
export function untilText(entries: readonly FastTracked[]): string {
  return `${entries[0]!.package}@${entries.map((f) => `${f.version} until ${new Date(f.expiresAt).toISOString()}`).join(', ')}`;
}

/** The first line of every export: where it came from and when. */
export function header(policy: ClientPolicy, format: string): string[] {
  return [
    comment(
      `Written by "cordon policy export --format ${format}" from ${policy.registry} at ${new Date(policy.generatedAt).toISOString()}.`,
    ),
    comment(
      'Export again when an approver fast-tracks a version, or after the dates below; an exclusion past its date is harmless but no longer needed.',
    ),
  ];
}

/** Durations as the bots write them: `3 days`, `36 hours`, `90 minutes`. */
export function humanDuration(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} day${ms === DAY ? '' : 's'}`;
  if (ms % HOUR === 0) return `${ms / HOUR} hours`;
  return `${Math.ceil(ms / MINUTE)} minutes`;
}

export const minutes = (ms: number): number => Math.ceil(ms / MINUTE);
export const seconds = (ms: number): number => Math.ceil(ms / 1000);
export const days = (ms: number): number => Number((ms / DAY).toFixed(4));
