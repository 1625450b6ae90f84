/**
 * The one place the approval commands turn an error into one line of text and an exit code. Messages
 * from the mirror and from the approvals code already say what to do next; this adds the code and
 * guards against printing key material.
 */
import { CordonError } from '../errors';

/** Exit codes of the approval commands. */
export const EXIT = {
  ok: 0,
  /** The mirror refused (a decision), or the audit log has problems. */
  refused: 1,
  /** Bad arguments, or a local key or file that cannot be used. */
  usage: 2,
  /** The mirror could not be reached or did not answer as a Cordon mirror. */
  unavailable: 3,
} as const;

/** A mistake in the command line; `hint` is the usage to print. */
export class UsageError extends CordonError<'USAGE'> {}

const UNAVAILABLE = new Set(['MIRROR_UNREACHABLE', 'MIRROR_BAD_RESPONSE', 'MIRROR_HTTP_ERROR', 'INTERNAL', 'UNAVAILABLE']);
const USAGE = new Set([
  'USAGE',
  'MIRROR_URL_INVALID',
  'KEY_UNREADABLE',
  'KEY_UNSUPPORTED',
  'SSH_KEYGEN_FAILED',
  'NO_SUCH_ROUTE',
  'BAD_REQUEST',
]);

/** Extra advice for codes whose message alone does not carry the next step. */
const NEXT_STEP: Readonly<Record<string, string>> = {
  MIRROR_UNREACHABLE: 'Check --registry or CORDON_URL and that the mirror is running.',
  MIRROR_BAD_RESPONSE: 'Check that --registry or CORDON_URL points at a Cordon mirror (not plain Verdaccio or npmjs).',
  MIRROR_HTTP_ERROR: 'Try again; if it persists, the mirror log has the cause.',
  INTERNAL: 'The mirror log has the cause; try again, and report it if it persists.',
  NO_SUCH_ROUTE: 'The mirror may be older than this CLI; upgrade the mirror.',
};

/** Exit code for an error code. */
export function exitCodeFor(code: string): number {
  if (UNAVAILABLE.has(code)) return EXIT.unavailable;
  if (USAGE.has(code)) return EXIT.usage;
  return EXIT.refused;
}

/** Removes anything that looks like private key material from text about to be printed. */
export function redact(text: string): string {
  return text.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[private key removed]');
}

/**
 * Makes text from packages and the mirror safe for a terminal: control characters (ANSI escapes) and
 * bidirectional overrides (Trojan Source) are shown as \\u{…} instead of acting on the reviewer's screen.
 */
export function printable(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
}

/** Prints `cordon <command>: <message> [CODE]` (and the usage for a usage error) and returns the exit code. */
export function reportError(
  command: string,
  err: unknown,
  usage?: string,
  write: (s: string) => void = (s) => void process.stderr.write(s),
): number {
  if (err instanceof CordonError) {
    const code = err.code as string;
    const next = NEXT_STEP[code];
    const message = err.message.replace(/\s+$/, '');
    write(redact(`${printable(`cordon ${command}: ${message}${/[.!?]$/.test(message) ? '' : '.'}${next ? ` ${next}` : ''} [${code}]`)}\n`));
    if (code === 'USAGE' && usage) write(usage);
    return exitCodeFor(code);
  }
  write(
    redact(
      `cordon ${command}: unexpected failure: ${(err as Error)?.message ?? String(err)}. This is a bug in Cordon; please report it with the command you ran.\n`,
    ),
  );
  return EXIT.usage;
}
