/** For process entry points: the settings, or a one-line message naming the bad key and exit code 2. */
import { loadConfig, type CordonConfig } from './load-config';
import { ConfigError } from './config-error';

export function loadConfigOrExit(program: string): CordonConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${program}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
