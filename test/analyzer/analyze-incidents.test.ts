import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, severityAtLeast, severityRank } from '../../server/analyzer';
import { BENIGN, INCIDENTS } from './fixtures/incidents';

for (const c of INCIDENTS) {
  test(`flags ${c.name}`, () => {
    const report = analyze(c.previous, c.next);
    for (const [rule, atLeast] of c.expect) {
      const hit = report.findings.find((f) => f.rule === rule);
      assert.ok(hit, `${rule} missing; got ${report.findings.map((f) => `${f.rule}:${f.severity}`).join(', ')}`);
      assert.ok(
        report.findings.some((f) => f.rule === rule && severityAtLeast(f.severity, atLeast)),
        `${rule} below ${atLeast}: ${hit.severity}`,
      );
    }
    for (const rule of c.absent ?? []) assert.ok(!report.findings.some((f) => f.rule === rule), `${rule} should not be reported`);
    assert.ok(report.maxSeverity && severityAtLeast(report.maxSeverity, 'high'));
    for (const f of report.findings) assert.ok((f.evidence ?? '').length <= 170, `evidence too long in ${f.rule}`);
  });
}

for (const c of BENIGN) {
  test(`stays quiet on ${c.name}`, () => {
    const report = analyze(c.previous, c.next);
    const loud = report.findings.filter((f) =>
      c.atMost === null ? severityRank(f.severity) > 0 : severityRank(f.severity) > severityRank(c.atMost),
    );
    assert.deepEqual(
      loud.map((f) => `${f.rule}:${f.severity} ${f.file}:${f.line}`),
      [],
    );
  });
}
