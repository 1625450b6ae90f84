import { createHash } from 'node:crypto';
import type { Manifest, PackageFile, PackageSide, ProvenanceFacts } from './types';

/** One file with its content hash and lazily decoded text. */
export interface FileView {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly mode: number;
  /** sha256 hex of the bytes: equal hashes are never analysed twice. */
  readonly hash: string;
  text(): string;
  lines(): readonly string[];
}

/** A side prepared for the rules: files by path, hashes, and both manifests. */
export interface PackageView {
  readonly byPath: ReadonlyMap<string, FileView>;
  readonly hashes: ReadonlySet<string>;
  /** The registry manifest, when known. */
  readonly registry: Manifest | null;
  /** The package.json inside the tarball, when it parses. */
  readonly packageJson: Manifest | null;
  /** Verified provenance facts (see PackageSide.provenance). */
  readonly provenance: ProvenanceFacts | null | undefined;
}

function fileView(file: PackageFile): FileView {
  const bytes = typeof file.bytes === 'string' ? Buffer.from(file.bytes) : file.bytes;
  let text: string | undefined;
  let lines: string[] | undefined;
  return {
    path: file.path,
    bytes,
    mode: file.mode ?? 0o644,
    hash: createHash('sha256').update(bytes).digest('hex'),
    text: () => (text ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')),
    lines() {
      lines ??= this.text().split(/\r?\n/);
      return lines;
    },
  };
}

function parseJson(view: FileView | undefined): Manifest | null {
  if (!view) return null;
  try {
    // npm strips a byte-order mark before parsing; so must we, or its scripts would go unread.
    const value: unknown = JSON.parse(view.text().replace(/^\uFEFF/, ''));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Manifest) : null;
  } catch {
    return null;
  }
}

/** Builds the view of one side. */
export function viewOf(side: PackageSide): PackageView {
  const byPath = new Map<string, FileView>();
  for (const file of side.files) byPath.set(file.path, fileView(file));
  return {
    byPath,
    hashes: new Set([...byPath.values()].map((f) => f.hash)),
    registry: side.manifest,
    packageJson: parseJson(byPath.get('package.json')),
    provenance: side.provenance,
  };
}

/** The manifest that decides behaviour: the tarball's package.json (what npm runs), else the registry's. */
export function effectiveManifest(view: PackageView): Manifest {
  return view.packageJson ?? view.registry ?? {};
}
