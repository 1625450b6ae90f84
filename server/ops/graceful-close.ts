/**
 * Stops an HTTP server the way a restart should: no new connections, requests in flight finish (up to
 * a bound), keep-alive connections are closed once idle, and whatever is left at the bound is cut.
 */
import type { Server } from 'node:http';

export interface GracefulServer {
  /** Stops accepting, waits for requests in flight up to `timeoutMs`, then closes every connection. */
  close(timeoutMs: number): Promise<{ readonly forced: boolean }>;
}

/** Wraps `server`; from the moment `close` is called every answer carries `Connection: close`. */
export function gracefulServer(server: Server): GracefulServer {
  let closing = false;
  // Runs before the app: a request that arrives on a kept-alive connection during the stop is still
  // answered, and then its connection closes instead of waiting for the next one.
  server.prependListener('request', (_req, res) => {
    if (closing && !res.headersSent) res.setHeader('Connection', 'close');
  });
  return {
    close(timeoutMs) {
      closing = true;
      return new Promise((resolve) => {
        let settled = false;
        const finish = (forced: boolean): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ forced });
        };
        const timer = setTimeout(() => {
          server.closeAllConnections();
          finish(true);
        }, timeoutMs);
        server.close(() => finish(false));
        server.closeIdleConnections();
      });
    },
  };
}
