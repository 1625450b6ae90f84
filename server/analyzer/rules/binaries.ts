import type { PackageView } from '../package-view';
import type { Finding } from '../types';

const SHADOWED = new Set(['node', 'npm', 'npx', 'pnpm', 'yarn', 'git', 'sh', 'bash', 'ls', 'cp', 'mv', 'rm', 'sudo', 'curl', 'wget', 'ssh', 'python', 'env', 'cat']);

/** The executable format of a file from its magic bytes, or null. */
export function binaryFormat(bytes: Uint8Array): 'ELF' | 'Mach-O' | 'PE' | 'WASM' | null {
  if (bytes.length < 4) return null;
  const [a, b, c, d] = bytes as unknown as [number, number, number, number];
  if (a === 0x7f && b === 0x45 && c === 0x4c && d === 0x46) return 'ELF';
  if (a === 0x00 && b === 0x61 && c === 0x73 && d === 0x6d) return 'WASM';
  const be = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(be)) return 'Mach-O';
  // 0xcafebabe is both a fat Mach-O and a Java class; fat binaries have a small arch count
  if (be === 0xcafebabe && bytes.length > 8 && bytes[4] === 0 && bytes[5] === 0 && bytes[6] === 0 && (bytes[7] ?? 99) < 20) return 'Mach-O';
  if (a === 0x4d && b === 0x5a && bytes.length > 0x40) return 'PE';
  return null;
}

function binsOf(view: PackageView | null): Map<string, string> {
  const out = new Map<string, string>();
  const m = view?.packageJson ?? view?.registry;
  if (!m?.bin) return out;
  if (typeof m.bin === 'string') out.set(String(m.name ?? '').split('/').pop() ?? '', m.bin);
  else for (const [name, target] of Object.entries(m.bin)) if (typeof target === 'string') out.set(name, target);
  return out;
}

/** New native executables, WebAssembly modules and `bin` commands. */
export function binaryFindings(prev: PackageView | null, next: PackageView): Finding[] {
  const findings: Finding[] = [];
  const formatsBefore = new Set<string>();
  if (prev) for (const f of prev.byPath.values()) { const fmt = binaryFormat(f.bytes); if (fmt) formatsBefore.add(fmt); }
  const reported = new Set<string>();
  for (const f of next.byPath.values()) {
    if (prev?.hashes.has(f.hash)) continue;
    const fmt = binaryFormat(f.bytes);
    if (!fmt || formatsBefore.has(fmt) || reported.has(fmt)) continue;
    reported.add(fmt);
    findings.push(fmt === 'WASM'
      ? { category: 'binary', rule: 'binary/new-wasm', severity: 'medium', file: f.path, message: 'ships a WebAssembly module it did not ship before (opaque to review)' }
      : { category: 'binary', rule: 'binary/new-native-binary', severity: 'high', file: f.path, message: `ships a ${fmt} executable it did not ship before (opaque to review)` });
  }
  const before = binsOf(prev);
  for (const [name, target] of binsOf(next)) {
    if (before.has(name)) continue;
    const shadow = SHADOWED.has(name);
    findings.push({ category: 'binary', rule: shadow ? 'binary/bin-shadows-command' : 'binary/new-bin-entry', severity: shadow ? 'high' : 'low', file: 'package.json',
      evidence: `"${name}": "${target}"`, message: shadow ? `installs a "${name}" command that shadows a system tool` : `installs a new command "${name}"` });
  }
  return findings;
}
