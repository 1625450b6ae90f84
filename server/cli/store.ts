/**
 * `cordon store init --adopt-existing [--previous-store FILE]`: re-baseline a data folder on purpose,
 * after the mirror refused to start on a lost, foreign or rolled-back store. Run it with the mirror stopped.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config';
import { adoptDataFolder } from '../quarantine/adopt-store';
import { mirrorRunning } from '../../storage';
import { parseCommand } from './cordon-client';
import { EXIT, reportError, UsageError } from './error-text';

const USAGE = `usage: cordon store init --adopt-existing [--previous-store FILE]

  Gives the data folder (CORDON_DATA_DIR / dataDir in cordon.yaml) a new, empty store and identity.
  Stop the mirror first. Any store file there is moved aside, never deleted.

  --adopt-existing      required: the packages already in the folder's storage become a baseline
                        when next seen (their old versions are released without analysis)
  --previous-store FILE the earlier store, or a backup of it: every version it knew carries over;
                        none it held, rejected or blocked is released (held and rejected ones wait
                        for a person again). Strongly advised when you have it.
`;

export async function storeCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, {
      'adopt-existing': { type: 'boolean' },
      'previous-store': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (positionals[0] !== 'init' || positionals.length !== 1)
      throw new UsageError('USAGE', 'expected "cordon store init --adopt-existing"');
    if (!values['adopt-existing'])
      throw new UsageError(
        'USAGE',
        're-baselining turns the old versions of every stored package into a released baseline; say so with --adopt-existing',
      );
    const previous = values['previous-store'] ? resolve(values['previous-store']) : null;
    if (previous && !existsSync(previous))
      throw new UsageError('USAGE', `${previous} does not exist; give the earlier cordon.sqlite or a backup of it`);
    const config = loadConfig();
    const pid = mirrorRunning(config.dataDir);
    if (pid !== null) throw new UsageError('USAGE', `a mirror (pid ${pid}) is running on ${config.dataDir}; stop it first`);
    const report = await adoptDataFolder(config, { previousStore: previous, at: Date.now() });
    const c = report.carried;
    process.stdout.write(
      `New store for ${config.dataDir} (data folder ${report.dataId}, mirror ${report.mirrorId}).\n` +
        (report.movedAside.length ? `Moved aside: ${report.movedAside.join(', ')}\n` : '') +
        `Adopted ${report.adoptedPackages.length} package(s) from the tarball storage as a baseline.\n` +
        (previous
          ? `Carried from ${previous}: ${c.released} released, ${c.quarantined} quarantined, ${c.held} held for review again, ${c.blocked} blocked.\n`
          : 'No earlier store given: every stored package starts over as a new one.\n') +
        'The adoption is in the audit log (cause store-adopted). Start the mirror.\n',
    );
    return EXIT.ok;
  } catch (err) {
    return reportError('store', err, USAGE);
  }
}
