import { readFile } from 'node:fs/promises';
import { analyze } from '../analyzer/analyze';
import { isSeverity, severityAtLeast } from '../analyzer/severity';
import type { Manifest, PackageSide, Severity } from '../analyzer/types';
import { loadConfig } from '../config';
import { CordonError } from '../errors';
import { fetchPackument, type Packument } from '../upstream/registry-client';
import { BlobStore } from '../blobs/blob-store';
import { fetchVersion, pinnedFromManifest, unpackVersion } from '../upstream/version-bytes';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatReport } from './format-report';
import { printable } from './error-text';

const USAGE = `usage: cordon analyze <old.tgz|-|pkg@version> <new.tgz|pkg@version> [--json] [--fail-on <severity>]

  -                 no previous version: everything the new one can do is reported
  pkg@version       fetched (manifest and tarball) from CORDON_UPSTREAM
  --json            print the report as JSON
  --fail-on <sev>   exit 1 when a finding is at or above <sev> (info|low|medium|high|critical; default high)

exit status: 0 nothing at or above --fail-on, 1 something was, 2 bad input
`;

class UsageError extends CordonError<'USAGE'> {}

interface Args {
  readonly old: string;
  readonly next: string;
  readonly json: boolean;
  readonly failOn: Severity;
}

function parseArgs(argv: string[]): Args | 'help' {
  const positional: string[] = [];
  let json = false;
  let failOn: Severity = 'high';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--json') json = true;
    else if (a === '--fail-on' || a.startsWith('--fail-on=')) {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!value || !isSeverity(value))
        throw new UsageError('USAGE', `--fail-on needs one of info, low, medium, high, critical (got "${value ?? ''}")`);
      failOn = value;
    } else if (a.startsWith('--')) throw new UsageError('USAGE', `unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 2) throw new UsageError('USAGE', 'expected two arguments: the previous and the new version');
  return { old: positional[0]!, next: positional[1]!, json, failOn };
}

/** "pkg@1.0.0" / "@scope/pkg@1.0.0" → name and version; null when `arg` is not such a spec. */
export function parseSpec(arg: string): { name: string; version: string } | null {
  const at = arg.lastIndexOf('@');
  if (at <= 0 || /\.(tgz|tar|tar\.gz)$/.test(arg) || arg.includes('\\')) return null;
  const name = arg.slice(0, at);
  const version = arg.slice(at + 1);
  if (!version || !/^(@[\w.-]+\/)?[\w.-]+$/.test(name)) return null;
  return { name, version };
}

/** What reading a `pkg@version` side needs: the upstream, one packument per package, a verified store. */
interface Upstream {
  readonly url: () => string;
  readonly packuments: Map<string, Promise<Packument>>;
  readonly blobs: () => BlobStore;
}

async function loadSide(arg: string, up: Upstream): Promise<PackageSide> {
  const spec = parseSpec(arg);
  if (!spec) {
    let bytes: Buffer;
    try {
      bytes = await readFile(arg);
    } catch (err) {
      throw new UsageError(
        'USAGE',
        `cannot read ${arg}: ${(err as NodeJS.ErrnoException).code ?? 'error'}; give a .tgz path or pkg@version`,
        { cause: err },
      );
    }
    return { manifest: null, ...unpackVersion(bytes) };
  }
  let packument = up.packuments.get(spec.name);
  if (!packument) {
    packument = fetchPackument(up.url(), spec.name);
    up.packuments.set(spec.name, packument);
  }
  const manifest = (await packument).versions[spec.version];
  if (!manifest) throw new UsageError('USAGE', `${spec.name} has no version ${spec.version} upstream`);
  // The same pinned-digest download the mirror uses: one digest, checked before the bytes are read.
  const fetched = await fetchVersion(up.blobs(), pinnedFromManifest(spec.name, spec.version, manifest.dist, up.url()));
  return { manifest: manifest as Manifest, ...fetched.unpack() };
}

/** `cordon analyze`: prints the report and resolves 0 (quiet), 1 (at/above --fail-on) or 2 (bad input). */
export async function analyzeCommand(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    let upstreamUrl: string | undefined;
    let scratch: string | undefined;
    let store: BlobStore | undefined;
    const up: Upstream = {
      url: () => (upstreamUrl ??= loadConfig().upstream),
      packuments: new Map(),
      blobs: () => {
        if (!store) {
          scratch = mkdtempSync(join(tmpdir(), 'cordon-analyze-'));
          store = new BlobStore(scratch, { maxBytes: 1024 ** 3, timeoutMs: 300_000 });
        }
        return store;
      },
    };
    let previous: PackageSide | null;
    let next: PackageSide;
    try {
      previous = args.old === '-' ? null : await loadSide(args.old, up);
      next = await loadSide(args.next, up);
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
    const report = analyze(previous, next);
    // Snippets come from the package under review: escape control characters so they cannot drive the terminal.
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : printable(formatReport(report)));
    return report.findings.some((f) => severityAtLeast(f.severity, args.failOn)) ? 1 : 0;
  } catch (err) {
    if (err instanceof CordonError) {
      process.stderr.write(`cordon analyze: ${err.message} [${err.code}]\n`);
      if (err.code === 'USAGE') process.stderr.write(USAGE);
      return 2;
    }
    throw err;
  }
}
