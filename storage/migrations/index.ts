/** Numbered schema migrations, applied in order at start-up; never edit one that has shipped, add the next. */
import * as m0001 from './0001-versions';
import * as m0002 from './0002-analysis';

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  { id: 1, name: '0001-versions', sql: m0001.sql },
  { id: 2, name: '0002-analysis', sql: m0002.sql },
];
