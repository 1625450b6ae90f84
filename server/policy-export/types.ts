/** The formats `cordon policy export` writes, and its options. */
export const EXPORT_FORMATS = ['npm', 'pnpm', 'yarn', 'bun', 'renovate', 'dependabot'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** Also set the client's own release age to the mirror's cooldown (both gates); otherwise the client's default stays. */
  readonly bothGates: boolean;
}

/** One export: the file it belongs in and its text. */
export interface PolicyExport {
  readonly format: ExportFormat;
  /** Where the file goes in a project (merge it into an existing one). */
  readonly file: string;
  readonly content: string;
}

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}
