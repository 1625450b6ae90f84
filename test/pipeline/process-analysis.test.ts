import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { processAnalysis, type ProcessorDeps } from '../../server/pipeline/process-analysis';
import { AnalysisError } from '../../server/pipeline/analysis-job';
import { integrityOf } from '../../server/policy/manifest';
import { distOf, packTarball } from '../helpers/pack-tarball';

function registry(versions: Record<string, Record<string, string>>, scripts: Record<string, Record<string, string>> = {}): { deps: ProcessorDeps; packument: any; fetched: string[] } {
  const tarballs = new Map<string, Buffer>();
  const packument: any = { name: 'demo', versions: {} };
  for (const [v, files] of Object.entries(versions)) {
    const bytes = packTarball({ 'package.json': JSON.stringify({ name: 'demo', version: v, scripts: scripts[v] }), ...files });
    const url = `https://r.test/demo/-/demo-${v}.tgz`;
    tarballs.set(url, bytes);
    packument.versions[v] = { name: 'demo', version: v, scripts: scripts[v], dist: { ...distOf(bytes), tarball: url } };
  }
  const fetched: string[] = [];
  return {
    packument,
    fetched,
    deps: {
      fetchPackument: async () => packument,
      fetchTarball: async (url) => {
        fetched.push(url);
        const b = tarballs.get(url);
        if (!b) throw new Error('404');
        return b;
      },
    },
  };
}

const job = (version: string, integrity: string, previousVersion: string | null) => ({ id: 'x', package: 'demo', version, integrity, previousVersion, upstream: 'https://r.test/' });

test('a new postinstall against the previous version is found; an unchanged version is clean', async () => {
  const { deps, packument } = registry({ '1.0.0': { 'index.js': 'module.exports = 1' }, '1.0.1': { 'index.js': 'module.exports = 1', 'setup.js': 'require("https").get("https://evil.test/x")' } }, { '1.0.1': { postinstall: 'node setup.js' } });
  const out = await processAnalysis(job('1.0.1', integrityOf(packument.versions['1.0.1'])!, '1.0.0'), deps);
  assert.equal(out.previousVersion, '1.0.0');
  assert.equal(out.maxSeverity, 'critical');
  assert.ok(out.findings.some((f) => f.rule === 'install-script/new-postinstall'));
  assert.match(out.digest, /^[0-9a-f]{64}$/);
  assert.ok(out.timings.totalMs >= 0);
});

test('bytes that do not match the recorded integrity are refused, not analysed', async () => {
  const { deps, packument } = registry({ '1.0.0': {} });
  const recorded = integrityOf(packument.versions['1.0.0'])!;
  const other = distOf(packTarball({ 'package.json': '{}' }));
  packument.versions['1.0.0'].dist = { ...packument.versions['1.0.0'].dist, ...other };
  await assert.rejects(processAnalysis(job('1.0.0', recorded, null), deps), (e: unknown) => e instanceof AnalysisError && e.code === 'INTEGRITY_MISMATCH' && !e.retryable);
  const { deps: deps2, packument: p2 } = registry({ '1.0.0': {} });
  const good = integrityOf(p2.versions['1.0.0'])!;
  const swapped: ProcessorDeps = { ...deps2, fetchTarball: async () => packTarball({ 'package.json': '{"evil":true}' }) };
  await assert.rejects(processAnalysis(job('1.0.0', good, null), swapped), (e: unknown) => e instanceof AnalysisError && e.code === 'INTEGRITY_MISMATCH');
});

test('withdrawn, corrupt and unreachable cases carry the right code', async () => {
  const { deps, packument } = registry({ '1.0.0': {} });
  await assert.rejects(processAnalysis(job('9.9.9', 'sha512-AAAA', null), deps), (e: unknown) => e instanceof AnalysisError && e.code === 'VERSION_WITHDRAWN');
  const truncated = gzipSync(Buffer.from('not a tar archive at all'));
  packument.versions['2.0.0'] = { dist: { ...distOf(truncated), tarball: 'https://r.test/demo/-/demo-2.0.0.tgz' } };
  const corrupt: ProcessorDeps = { ...deps, fetchTarball: async () => truncated };
  await assert.rejects(processAnalysis(job('2.0.0', integrityOf(packument.versions['2.0.0'])!, null), corrupt), (e: unknown) => e instanceof AnalysisError && e.code === 'TARBALL_UNREADABLE');
  const down: ProcessorDeps = { ...deps, fetchPackument: async () => { throw new Error('ECONNRESET'); } };
  await assert.rejects(processAnalysis(job('1.0.0', 'sha512-AAAA', null), down), (e: unknown) => e instanceof AnalysisError && e.code === 'TRANSIENT' && e.retryable);
});
