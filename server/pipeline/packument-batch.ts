/**
 * Upstream packuments for the jobs of one batch: a package's packument is fetched once while its jobs
 * (and the dependency sightings they cause) are prepared, not once per version. Failures are not kept.
 */
import type { Packument } from '../policy/manifest';

/** Reads a full packument from upstream: null when upstream does not have the package. */
export type FetchUpstreamPackument = (name: string) => Promise<Packument | null>;

interface Entry {
  readonly at: number;
  readonly value: Promise<Packument | null>;
}

export class PackumentBatch {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly fetch: FetchUpstreamPackument,
    private readonly ttlMs = 60_000,
    private readonly max = 64,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The packument of `name`, fetched at most once per `ttlMs` (concurrent callers share one fetch);
   * `fresh` fetches anew, for a caller that found the kept one older than what it looks for.
   */
  get(name: string, fresh = false): Promise<Packument | null> {
    const hit = this.entries.get(name);
    if (hit && !fresh && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = this.fetch(name);
    const entry = { at: this.now(), value };
    this.entries.delete(name);
    this.entries.set(name, entry);
    value.catch(() => {
      if (this.entries.get(name) === entry) this.entries.delete(name);
    });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }

  /** Forgets everything (a new batch). */
  clear(): void {
    this.entries.clear();
  }
}
