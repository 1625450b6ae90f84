/** The logging surface Cordon needs; Verdaccio's pino logger and the console adapter below both fit it. */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** One JSON line per entry on stderr. */
export const consoleLogger: Logger = {
  info: (fields, message) => process.stderr.write(`${JSON.stringify({ level: 'info', msg: message, ...fields })}\n`),
  warn: (fields, message) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg: message, ...fields })}\n`),
  error: (fields, message) => process.stderr.write(`${JSON.stringify({ level: 'error', msg: message, ...fields })}\n`),
};

/** Discards everything; for tests. */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
