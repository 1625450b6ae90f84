/** Numbered schema migrations, applied in order at start-up; never edit one that has shipped, add the next. */
import * as m0001 from './0001-versions';
import * as m0002 from './0002-analysis';
import * as m0003 from './0003-approvals';
import * as m0004 from './0004-package-generation';
import * as m0005 from './0005-approved-needs-decision';
import * as m0006 from './0006-jobs-by-version';
import * as m0007 from './0007-pinned-digest';
import * as m0008 from './0008-passkeys';
import * as m0009 from './0009-added-findings';
import * as m0010 from './0010-operations';
import * as m0011 from './0011-transient-faults';
import type { Db } from '../database';

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
  /** Code to run after `sql`, in the same transaction (backfills). */
  readonly run?: (db: Db) => void;
}

export const migrations: readonly Migration[] = [
  { id: 1, name: '0001-versions', sql: m0001.sql },
  { id: 2, name: '0002-analysis', sql: m0002.sql },
  { id: 3, name: '0003-approvals', sql: m0003.sql, run: m0003.run },
  { id: 4, name: '0004-package-generation', sql: m0004.sql },
  { id: 5, name: '0005-approved-needs-decision', sql: m0005.sql },
  { id: 6, name: '0006-jobs-by-version', sql: m0006.sql },
  { id: 7, name: '0007-pinned-digest', sql: m0007.sql, run: m0007.run },
  { id: 8, name: '0008-passkeys', sql: m0008.sql },
  { id: 9, name: '0009-added-findings', sql: m0009.sql },
  { id: 10, name: '0010-operations', sql: m0010.sql },
  { id: 11, name: '0011-transient-faults', sql: m0011.sql },
];
