import { clip } from '../evidence';
import { binsOf } from '../loadable/entry-points';
import type { PackageView } from '../package-view';
import type { Finding } from '../types';
import { IMPLICIT_GYP, installScriptsOf } from './install-scripts';
import { commandWords } from './install-targets';

const SYSTEM_TOOLS = [
  'node',
  'npm',
  'npx',
  'pnpm',
  'yarn',
  'git',
  'sh',
  'bash',
  'ls',
  'cp',
  'mv',
  'rm',
  'sudo',
  'curl',
  'wget',
  'ssh',
  'python',
  'env',
  'cat',
];
// What install scripts and npm's implicit `node-gyp rebuild` commonly invoke: npm puts node_modules/.bin
// first on a lifecycle script's PATH, so a package's own bin by one of these names runs instead.
const INSTALL_TOOLS = ['node-gyp', 'node-gyp-build', 'prebuild-install', 'node-pre-gyp', 'husky', 'patch-package', 'node', 'npm', 'sh'];

/** Command names a bin must not take: system tools, install tools, and every word of the package's install scripts. */
function shadowable(view: PackageView): Set<string> {
  const out = new Set([...SYSTEM_TOOLS, ...INSTALL_TOOLS]);
  for (const script of installScriptsOf(view)) {
    for (const word of commandWords(script.implicit ? IMPLICIT_GYP : script.command)) out.add(word.split('/').pop()!);
  }
  return out;
}

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

/** New native executables, WebAssembly modules and `bin` commands. */
export function binaryFindings(prev: PackageView | null, next: PackageView): Finding[] {
  const findings: Finding[] = [];
  const formatsBefore = new Set<string>();
  if (prev)
    for (const f of prev.byPath.values()) {
      const fmt = binaryFormat(f.bytes);
      if (fmt) formatsBefore.add(fmt);
    }
  const reported = new Set<string>();
  for (const f of next.byPath.values()) {
    if (prev?.hashes.has(f.hash)) continue;
    const fmt = binaryFormat(f.bytes);
    if (!fmt || formatsBefore.has(fmt) || reported.has(fmt)) continue;
    reported.add(fmt);
    findings.push(
      fmt === 'WASM'
        ? {
            category: 'binary',
            rule: 'binary/new-wasm',
            severity: 'medium',
            file: f.path,
            message: 'ships a WebAssembly module it did not ship before (opaque to review)',
          }
        : {
            category: 'binary',
            rule: 'binary/new-native-binary',
            severity: 'high',
            file: f.path,
            message: `ships a ${fmt} executable it did not ship before (opaque to review)`,
          },
    );
  }
  const before = binsOf(prev);
  const shadowed = shadowable(next);
  for (const [name, target] of binsOf(next)) {
    const old = before.get(name);
    if (old === target) continue;
    const shadow = shadowed.has(name);
    const verb = old === undefined ? 'installs a new' : 'points the';
    findings.push({
      category: 'binary',
      rule: shadow ? 'binary/bin-shadows-command' : old === undefined ? 'binary/new-bin-entry' : 'binary/changed-bin-entry',
      severity: shadow ? 'high' : 'low',
      file: 'package.json',
      evidence: clip(`"${name}": "${target}"`),
      message: shadow
        ? `${verb} "${name}" command${old === undefined ? '' : ` at ${target}`}: npm puts the package's bins first on the PATH of install scripts, so it runs instead of the real "${name}" (an install script or a tool calls it)`
        : old === undefined
          ? `installs a new command "${name}"`
          : `the command "${name}" now runs ${target} instead of ${old}`,
    });
  }
  return findings;
}
