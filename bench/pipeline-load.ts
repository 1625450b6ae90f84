/** Runs bench/load.ts in short windows until told to stop, for a measurement whose length is not known in advance. */
import { runLoad, type LoadResult, type LoadSpec } from './load';

/** A load that runs until `stop()`; every window that started before the stop counts. */
export interface OpenLoad {
  stop(): Promise<LoadResult>;
}

/** Merges windows measured one after another into one result. */
export function mergeLoads(parts: readonly LoadResult[]): LoadResult {
  const latencies = parts.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const badStatus: Record<number, number> = {};
  for (const p of parts) for (const [s, n] of Object.entries(p.badStatus)) badStatus[Number(s)] = (badStatus[Number(s)] ?? 0) + n;
  const requests = parts.reduce((a, p) => a + p.requests, 0);
  return {
    requests,
    errors: parts.reduce((a, p) => a + p.errors, 0),
    seconds: parts.reduce((a, p) => a + p.seconds, 0),
    latencies,
    meanBytes: requests ? parts.reduce((a, p) => a + p.meanBytes * p.requests, 0) / requests : 0,
    badStatus,
  };
}

/** Starts `spec` (its durationMs is the window length) and keeps going window after window. */
export function openLoad(spec: LoadSpec): OpenLoad {
  const parts: LoadResult[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping) parts.push(await runLoad(spec));
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return mergeLoads(parts);
    },
  };
}
