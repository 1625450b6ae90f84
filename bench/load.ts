/** A closed-loop load generator: `concurrency` keep-alive connections, each sending its next request when the last one ends. */
import { Agent, request } from 'node:http';

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  /** Latencies in ms, sorted ascending. */
  readonly latencies: readonly number[];
  /** Mean response body size in bytes (as sent on the wire). */
  readonly meanBytes: number;
  /** Status codes other than 200 and their counts. */
  readonly badStatus: Readonly<Record<number, number>>;
}

export interface LoadSpec {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly concurrency: number;
  readonly durationMs: number;
}

function once(agent: Agent, url: URL, headers: Readonly<Record<string, string>>): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends requests for `durationMs` and measures every one that started inside the window. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const url = new URL(spec.url);
  const latencies: number[] = [];
  const badStatus: Record<number, number> = {};
  let errors = 0;
  let bytes = 0;
  const start = performance.now();
  const deadline = start + spec.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const { status, bytes: n } = await once(agent, url, spec.headers);
        latencies.push(performance.now() - t0);
        bytes += n;
        if (status !== 200) {
          errors++;
          badStatus[status] = (badStatus[status] ?? 0) + 1;
        }
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, seconds, latencies, meanBytes: latencies.length ? bytes / latencies.length : 0, badStatus };
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
