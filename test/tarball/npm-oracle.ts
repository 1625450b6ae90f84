/**
 * What npm writes for a tarball: node-tar's extraction (the `tar` package npm uses) with the options
 * pacote passes (strip the first path segment, skip links, only file entries are written, a
 * `.gitignore` becomes `.npmignore`), into a temporary folder that is then read back.
 */
import { mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import * as tar from 'tar';

/** The files npm would write (package-relative path → bytes), or `error` when npm's extraction fails. */
export type OracleResult = Map<string, Buffer> | 'error';

function walk(dir: string, root: string, out: Map<string, Buffer>): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = lstatSync(full);
    if (st.isDirectory()) walk(full, root, out);
    else if (st.isFile()) out.set(relative(root, full).split('\\').join('/'), readFileSync(full));
    else out.set(`${relative(root, full)}\u0000not-a-regular-file`, Buffer.alloc(0));
  }
}

/** Extracts `bytes` the way npm does and returns what landed on disk. */
export function npmExtract(bytes: Buffer): OracleResult {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-tar-oracle-'));
  try {
    const sawIgnores = new Set<string>();
    let failed = false;
    const unpack = new tar.UnpackSync({
      cwd: dir,
      strip: 1,
      preserveOwner: false,
      noChmod: true,
      filter: (_path: string, entry: any) => {
        if (/Link$/.test(entry.type)) return false;
        if (/File$/.test(entry.type)) {
          const base = basename(entry.path);
          if (base === '.npmignore') sawIgnores.add(entry.path);
          else if (base === '.gitignore') {
            const ni = entry.path.replace(/\.gitignore$/, '.npmignore');
            if (sawIgnores.has(ni)) return false;
            entry.path = ni;
          }
          return true;
        }
        return false;
      },
    } as any);
    unpack.on('error', () => {
      failed = true;
    });
    try {
      unpack.end(bytes);
    } catch {
      failed = true;
    }
    if (failed) return 'error';
    const out = new Map<string, Buffer>();
    walk(dir, dir, out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
