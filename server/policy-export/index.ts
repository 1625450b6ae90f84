/** `cordon policy export`: the settings that make each client's and bot's own release-age gate follow the mirror. */
import type { ClientPolicy } from '../quarantine/client-policy';
import { bunfig } from './bun';
import { dependabotYml } from './dependabot';
import { npmrc } from './npm';
import { pnpmWorkspace } from './pnpm';
import { renovateJson } from './renovate';
import type { ExportFormat, ExportOptions, PolicyExport } from './types';
import { yarnrc } from './yarn';

export { EXPORT_FORMATS, isExportFormat, type ExportFormat, type ExportOptions, type PolicyExport } from './types';

const FILES: Record<ExportFormat, string> = {
  npm: '.npmrc',
  pnpm: 'pnpm-workspace.yaml',
  yarn: '.yarnrc.yml',
  bun: 'bunfig.toml',
  renovate: 'renovate.json',
  dependabot: '.github/dependabot.yml',
};

/** Renders the policy in one format. */
export function renderExport(format: ExportFormat, policy: ClientPolicy, options: ExportOptions): PolicyExport {
  const content = (() => {
    switch (format) {
      case 'npm':
        return npmrc(policy, options);
      case 'pnpm':
        return pnpmWorkspace(policy, options);
      case 'yarn':
        return yarnrc(policy, options);
      case 'bun':
        return bunfig(policy, options);
      case 'renovate':
        return renovateJson(policy);
      case 'dependabot':
        return dependabotYml(policy);
    }
  })();
  return { format, file: FILES[format], content };
}
