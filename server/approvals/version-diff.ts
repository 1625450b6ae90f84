/**
 * The file-level difference between a version and the one it was analysed against, for a reviewer:
 * both tarballs fetched from upstream, checked against the integrity the mirror recorded, read in memory.
 */
import { readTarball, type TarballFile } from '../tarball/read-tarball';
import { UpstreamError } from '../upstream/errors';
import { fetchPackument, fetchTarball, verifyIntegrity } from '../upstream/registry-client';
import { unifiedDiff } from './unified-diff';

export interface FileChange {
  readonly path: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly oldSize: number | null;
  readonly newSize: number | null;
}

export interface VersionDiff {
  readonly previousVersion: string | null;
  readonly files: readonly FileChange[];
  /** Unified diffs of the requested files, by path (null: binary or too different to diff). */
  readonly unified: Readonly<Record<string, string | null>>;
}

/** Bytes the diff of one file may have on each side; beyond it the reviewer gets the file list only. */
const MAX_DIFF_BYTES = 1024 * 1024;

const isText = (bytes: Uint8Array): boolean => bytes.length <= MAX_DIFF_BYTES && !bytes.subarray(0, 8000).includes(0);

async function filesOf(packument: Awaited<ReturnType<typeof fetchPackument>>, version: string, integrity: string | null): Promise<Map<string, TarballFile>> {
  const dist = packument.versions[version]?.dist;
  if (!dist?.tarball) throw new UpstreamError('UPSTREAM_NOT_FOUND', `upstream no longer lists ${packument.name}@${version}`);
  const bytes = await fetchTarball(dist.tarball);
  // The mirror's recorded integrity, not whatever upstream says today: the reviewer must see the approved bytes.
  verifyIntegrity(bytes, integrity ? { integrity } : dist);
  return new Map(readTarball(bytes).files.map((f) => [f.path, f]));
}

/** Diffs `version` (whose bytes must match `integrity`) against `previousVersion`; `unifiedFor` lists files to diff line by line. */
export async function versionDiff(
  upstream: string,
  name: string,
  version: string,
  integrity: string,
  previous: { version: string; integrity: string | null } | null,
  unifiedFor: readonly string[],
): Promise<VersionDiff> {
  const packument = await fetchPackument(upstream, name);
  const next = await filesOf(packument, version, integrity);
  const old = previous ? await filesOf(packument, previous.version, previous.integrity) : new Map<string, TarballFile>();
  const files: FileChange[] = [];
  for (const path of [...new Set([...old.keys(), ...next.keys()])].sort()) {
    const a = old.get(path);
    const b = next.get(path);
    if (a && b && Buffer.from(a.bytes).equals(Buffer.from(b.bytes))) continue;
    files.push({ path, change: !a ? 'added' : !b ? 'removed' : 'changed', oldSize: a ? a.bytes.length : null, newSize: b ? b.bytes.length : null });
  }
  const unified: Record<string, string | null> = {};
  for (const path of new Set(unifiedFor)) {
    const a = old.get(path);
    const b = next.get(path);
    if (!a && !b) continue;
    if ((a && !isText(a.bytes)) || (b && !isText(b.bytes))) {
      unified[path] = null;
      continue;
    }
    const text = (f: TarballFile | undefined) => (f ? Buffer.from(f.bytes).toString('utf8') : null);
    unified[path] = unifiedDiff(path, text(a), text(b));
  }
  return { previousVersion: previous?.version ?? null, files, unified };
}
