import type { Category, Severity } from '../types';

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
}

/** Everything one file can do, computed once per content hash. */
export interface FileScan {
  readonly signals: readonly Signal[];
  /** Relative specifiers it requires/imports ("./lib/x"), to follow install-script targets. */
  readonly relativeImports: readonly string[];
  /** False when no parser accepted it and the text fallback was used. */
  readonly parsed: boolean;
}

/** Collects signals without duplicating the same key on the same line. */
export class SignalSink {
  private readonly seen = new Set<string>();
  readonly signals: Signal[] = [];
  readonly relativeImports: string[] = [];

  add(signal: Signal): void {
    const id = `${signal.key}@${signal.line}`;
    if (this.seen.has(id) || this.signals.length >= 5000) return;
    this.seen.add(id);
    this.signals.push(signal);
  }
}
