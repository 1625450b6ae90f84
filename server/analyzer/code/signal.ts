import type { Category, Severity } from '../types';
import { classifyModule } from './modules';

/**
 * A capability seen at one place in one file. `key` names the capability independently of
 * where it is ("module:https", "cmd:curl"), so a file that moves keeps its capabilities.
 */
export interface Signal {
  readonly key: string;
  readonly category: Category;
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  readonly line: number;
  readonly column: number;
  /** Last line of the code that carries it (a call can span lines); `line` when absent. */
  readonly endLine?: number;
}

/** Everything one file can do, computed once per content hash. */
export interface FileScan {
  readonly signals: readonly Signal[];
  /** Relative specifiers it requires/imports ("./lib/x"), to follow install-script targets. */
  readonly relativeImports: readonly string[];
  /** False when no parser accepted it and the text fallback was used. */
  readonly parsed: boolean;
  /** Why it was scanned as text without trying a parser (beyond the parse budget), if it was. */
  readonly overBudget?: string;
}

const PER_KEY = 50;
const TOTAL = 20_000;

/**
 * Collects signals without duplicating the same key on the same line. The cap is per capability, so a
 * file full of one harmless kind of signal cannot crowd out a different one; a file that hits the
 * overall cap gets a signal of its own instead of a silent cut.
 */
export class SignalSink {
  private readonly seen = new Set<string>();
  private readonly perKey = new Map<string, number>();
  private truncated = false;
  readonly signals: Signal[] = [];
  readonly relativeImports: string[] = [];

  /** A module the file requires or imports, found by either scanner: followed when relative, a signal when it brings a capability. */
  moduleReference(spec: string, where: { line: number; column: number; endLine?: number }): void {
    if (spec.startsWith('./') || spec.startsWith('../')) this.relativeImports.push(spec);
    const cls = classifyModule(spec);
    if (cls)
      this.add({
        key: `module:${cls.name}`,
        category: cls.category,
        rule: cls.rule,
        severity: cls.severity,
        message: `uses ${cls.what}: "${cls.name}"`,
        ...where,
      });
  }

  add(signal: Signal): void {
    const id = `${signal.key}@${signal.line}`;
    const count = this.perKey.get(signal.key) ?? 0;
    if (this.seen.has(id) || count >= PER_KEY) return;
    if (this.signals.length >= TOTAL) {
      if (!this.truncated) {
        this.truncated = true;
        this.signals.push({
          key: 'scan-truncated',
          category: 'obfuscation',
          rule: 'obfuscation/too-many-signals',
          severity: 'high',
          line: signal.line,
          column: signal.column,
          message: `has more than ${TOTAL} capability sites; not all of them were examined`,
        });
      }
      return;
    }
    this.seen.add(id);
    this.perKey.set(signal.key, count + 1);
    this.signals.push(signal);
  }
}
