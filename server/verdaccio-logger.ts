/**
 * Verdaccio's own logger (pino), set up by Cordon before Verdaccio starts so that Verdaccio's request
 * lines and Cordon's lines are one stream of JSON lines. Verdaccio keeps one logger per process: the
 * first setup wins, and Verdaccio's own setup call then reuses it.
 */
import type { Logger } from './logger';

interface VerdaccioLoggerModule {
  setup(options: Record<string, unknown>): void;
  readonly logger: (Logger & { flush?(cb?: (err?: Error) => void): void }) | undefined;
}

/** The process's Verdaccio logger, set up with `settings` if nobody has yet. */
export function verdaccioLogger(settings: Record<string, unknown>): Logger & { flush?(cb?: (err?: Error) => void): void } {
  // Not part of Verdaccio's typed API, but the module every part of Verdaccio 6 logs through.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('verdaccio/build/lib/logger') as VerdaccioLoggerModule;
  mod.setup(settings);
  if (!mod.logger) throw new Error('Verdaccio did not set up its logger');
  return mod.logger;
}
