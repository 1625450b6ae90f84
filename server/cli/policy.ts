/**
 * `cordon policy export --format npm|pnpm|yarn|bun|renovate|dependabot`: the settings that make a
 * client's or bot's own release-age gate follow the mirror, as the mirror renders them
 * (GET /-/cordon/api/v1/policy/export).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXPORT_FORMATS, isExportFormat } from '../policy-export/types';
import { COMMON_OPTIONS, CordonClient, mirrorUrl, parseCommand } from './cordon-client';
import { EXIT, reportError, UsageError } from './error-text';

const USAGE = `usage: cordon policy export --format ${EXPORT_FORMATS.join('|')} [--both-gates] [--out FILE [--force]] [--registry URL] [--json]

  --format      npm (.npmrc), pnpm (pnpm-workspace.yaml), yarn (.yarnrc.yml), bun (bunfig.toml),
                renovate (renovate.json), dependabot (.github/dependabot.yml)
  --both-gates  also set the client's own release age to the mirror's cooldown (otherwise the client's
                default stays); bots always wait the cooldown
  --out FILE    write the settings to FILE (refuses an existing file unless --force; merge by hand)

Exclusions are written for versions approved before their cooldown ended (fast-track), each with the
date after which it is no longer needed. Export again after each fast-track.
`;

export async function policyCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, {
      ...COMMON_OPTIONS,
      format: { type: 'string' },
      'both-gates': { type: 'boolean' },
      out: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (positionals[0] !== 'export' || positionals.length !== 1)
      throw new UsageError('USAGE', 'expected "cordon policy export --format …"');
    if (!isExportFormat(values.format))
      throw new UsageError(
        'USAGE',
        `--format must be one of ${EXPORT_FORMATS.join(', ')}${values.format ? ` (got ${JSON.stringify(values.format)})` : ''}`,
      );
    const client = new CordonClient(mirrorUrl(values.registry));
    const result = await client.policyExport(values.format, values['both-gates'] === true);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return EXIT.ok;
    }
    if (!values.out) {
      process.stdout.write(result.content);
      return EXIT.ok;
    }
    const out = resolve(values.out);
    if (existsSync(out) && !values.force)
      throw new UsageError(
        'USAGE',
        `${out} exists and is left untouched; merge the settings by hand (run without --out to print them) or pass --force`,
      );
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, result.content);
    process.stderr.write(`Wrote ${out} (${result.file} settings from ${client.baseUrl}).\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError('policy', err, USAGE);
  }
}
