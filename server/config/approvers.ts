/** Approvers and quorum from the config file: who may sign decisions, and how many signatures a version needs. */
import { SEVERITY_ORDER } from '../analyzer/severity';
import type { Severity } from '../analyzer/types';
import { invalid, integer, mapping, str, type Raw } from './parse-values';

export const APPROVER_KEY_TYPES = ['ssh-ed25519', 'sk-ssh-ed25519@openssh.com'] as const;
export type ApproverKeyType = (typeof APPROVER_KEY_TYPES)[number];

/** One person who may approve or reject, with the OpenSSH public key they sign with. */
export interface Approver {
  readonly name: string;
  readonly keyType: ApproverKeyType;
  /** The SSH wire-format public key blob (base64 in the config line). */
  readonly publicKey: string;
  /** The config line as written, for allowed_signers files. */
  readonly line: string;
}

/** The analyzer's severities, lowest first; quorum and holdAt are set per severity. */
export const SEVERITIES = SEVERITY_ORDER;
export type QuorumSeverity = Severity;

/** Signatures needed, by the most severe finding of a version; `fastTrack` when approving before the cooldown ends. */
export interface Quorum {
  readonly bySeverity: Readonly<Record<QuorumSeverity | 'none', number>>;
  readonly fastTrack: number | null;
}

function readSshString(buf: Buffer, at: number): string | null {
  if (buf.length < at + 4) return null;
  const len = buf.readUInt32BE(at);
  if (len > 64 || buf.length < at + 4 + len) return null;
  return buf.subarray(at + 4, at + 4 + len).toString('latin1');
}

export function parseApprovers(key: string, value: unknown): Approver[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return invalid(key, value, 'a list of { name, key }');
  const names = new Set<string>();
  return value.map((entry, i) => {
    const at = `${key}[${i}]`;
    const raw = mapping(at, entry, ['name', 'key']);
    const name = str(`${at}.name`, raw.name);
    if (names.has(name)) invalid(`${at}.name`, name, 'a name not used by another approver');
    names.add(name);
    const line = str(`${at}.key`, raw.key);
    const [type, blob] = line.split(/\s+/);
    if (!APPROVER_KEY_TYPES.includes(type as ApproverKeyType))
      invalid(`${at}.key`, line, `an OpenSSH public key line of type ${APPROVER_KEY_TYPES.join(' or ')}`);
    const bytes = Buffer.from(blob ?? '', 'base64');
    if (!blob || bytes.toString('base64') !== blob || readSshString(bytes, 0) !== type)
      invalid(`${at}.key`, line, 'a complete OpenSSH public key line (type, base64 key, optional comment)');
    return Object.freeze({ name, keyType: type as ApproverKeyType, publicKey: blob, line });
  });
}

export function parseQuorum(key: string, value: unknown, fastTrackKey: string, fastTrack: unknown): Quorum {
  const bySeverity: Record<QuorumSeverity | 'none', number> = { none: 1, info: 1, low: 1, medium: 1, high: 1, critical: 1 };
  if (value !== undefined && value !== null) {
    const raw: Raw = mapping(key, value, [...SEVERITIES]);
    for (const [severity, n] of Object.entries(raw)) bySeverity[severity as QuorumSeverity] = integer(`${key}.${severity}`, n, 1, 100);
  }
  return Object.freeze({
    bySeverity: Object.freeze(bySeverity),
    fastTrack: fastTrack === undefined || fastTrack === null ? null : integer(fastTrackKey, fastTrack, 1, 100),
  });
}
