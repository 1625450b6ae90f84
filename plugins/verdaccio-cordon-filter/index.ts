/**
 * Verdaccio filter plugin: serves every packument without the versions Cordon does not release.
 * Load it by id `cordon-filter` under `filters:` (see README). All the work is in server/quarantine.
 *
 * Verdaccio skips a filter that throws (or rejects) and serves the unfiltered packument, so this one
 * never does: until the runtime is ready it waits for it, and if the runtime cannot be built every
 * version is hidden; the filter itself falls back to the versions it last knew released.
 */
import type { Logger } from '../../server/logger';
import type { Packument } from '../../server/policy/manifest';
import { createPackumentFilter } from '../../server/quarantine/packument-filter';
import { emptyManifest } from '../../server/policy/filter-manifest';
import { pluginRuntime, type PluginSettings } from '../../server/assemble';

type Filter = (packument: Readonly<Packument>) => Promise<Packument>;

export default class CordonFilterPlugin {
  private readonly filter: Promise<Filter>;

  constructor(settings: PluginSettings, options: { logger: Logger }) {
    const hideAll: Filter = async (packument) => emptyManifest({ name: typeof packument?.name === 'string' ? packument.name : '' });
    this.filter = pluginRuntime(settings, options.logger).then(
      (runtime) => createPackumentFilter(runtime.quarantine, runtime.clock, runtime.logger),
      (err: unknown) => {
        // Verdaccio would start without the filter and serve everything; refuse to serve any version instead.
        options.logger.error(
          { err: (err as Error)?.message },
          'cordon: the filter cannot start; every version is hidden until this is fixed',
        );
        return hideAll;
      },
    );
  }

  async filter_metadata(packument: Readonly<Packument>): Promise<Packument> {
    try {
      return await (await this.filter)(packument);
    } catch {
      return emptyManifest({ name: typeof packument?.name === 'string' ? packument.name : '' });
    }
  }
}
