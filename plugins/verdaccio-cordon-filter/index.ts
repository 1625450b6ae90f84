/**
 * Verdaccio filter plugin: serves every packument without the versions Cordon does not release.
 * Load it by id `cordon-filter` under `filters:` (see README). All the work is in server/quarantine.
 */
import type { Logger } from '../../server/logger';
import type { Packument } from '../../server/policy/manifest';
import { createPackumentFilter } from '../../server/quarantine/packument-filter';
import { emptyManifest } from '../../server/policy/filter-manifest';
import { runtimeForPlugin, type PluginSettings } from '../../server/runtime';

export default class CordonFilterPlugin {
  private readonly filter: (packument: Readonly<Packument>) => Packument | Promise<Packument>;

  constructor(settings: PluginSettings, options: { logger: Logger }) {
    try {
      const runtime = runtimeForPlugin(settings, options.logger);
      this.filter = createPackumentFilter(runtime.quarantine, runtime.clock, runtime.logger);
    } catch (err) {
      // Verdaccio would start without the filter and serve everything; refuse to serve any version instead.
      options.logger.error({ err: (err as Error).message }, 'cordon: the filter cannot start; every version is hidden until this is fixed');
      this.filter = (packument) => emptyManifest(packument);
    }
  }

  async filter_metadata(packument: Readonly<Packument>): Promise<Packument> {
    return this.filter(packument);
  }
}
