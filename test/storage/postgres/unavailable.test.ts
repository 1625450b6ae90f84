import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStoreUnavailable, StorageError } from '../../../storage';
import { isPostgresFault, isPostgresUnavailable } from '../../../storage/postgres/unavailable';

/** A server error as `pg` raises it: a SQLSTATE code and a severity. */
const serverError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'FATAL' });

test('PostgreSQL faults that mean "not now" are told from the ones that mean "wrong"', () => {
  const cases: Array<[string, unknown, boolean, boolean]> = [
    // [what, error, inside the backend (any connection fault), anywhere (only what PostgreSQL alone raises)]
    ['server shutting down (57P01)', serverError('57P01', 'terminating connection due to administrator command'), true, true],
    ['crash shutdown (57P02)', serverError('57P02'), true, true],
    ['starting up (57P03)', serverError('57P03'), true, true],
    ['connection failure (08006)', serverError('08006'), true, true],
    ['too many connections (53300)', serverError('53300'), true, true],
    ['disk full (53100)', serverError('53100'), true, true],
    ['lock not granted in time (55P03)', serverError('55P03'), true, true],
    ['read-only standby (25006)', serverError('25006'), true, true],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly'), true, true],
    ['pg: pool wait timed out', new Error('timeout exceeded when trying to connect'), true, true],
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), true, false],
    ['a constraint (23505)', serverError('23505', 'duplicate key'), false, false],
    [
      'a trigger refusal (23514)',
      serverError('23514', 'a version becomes approved or rejected only through a signed decision'),
      false,
      false,
    ],
    ['serialisation failure (40001)', serverError('40001'), false, false],
    ['a syntax error (42601)', serverError('42601'), false, false],
    ['a plain error', new Error('boom'), false, false],
  ];
  for (const [what, err, inside, anywhere] of cases) {
    assert.equal(isPostgresUnavailable(err), inside, `${what}: inside the backend`);
    assert.equal(isPostgresFault(err), anywhere, `${what}: anywhere`);
    assert.equal(isStoreUnavailable(err), anywhere, `${what}: isStoreUnavailable`);
  }
  assert.equal(isStoreUnavailable(new StorageError('STORE_UNAVAILABLE', 'down')), true);
});
