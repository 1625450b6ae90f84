/** A logger that keeps every line, for tests that check what Cordon logs. */
import type { Logger } from '../../server/logger';

export interface LoggedLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly [field: string]: unknown;
}

export function captureLogger(): { logger: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const keep = (level: LoggedLine['level']) => (fields: Record<string, unknown>, msg: string) => void lines.push({ ...fields, level, msg });
  return { logger: { info: keep('info'), warn: keep('warn'), error: keep('error') }, lines };
}
