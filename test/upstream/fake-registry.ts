/** A fake upstream registry on 127.0.0.1:0 serving packuments and tarballs built in the test. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRegistry {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves `routes` (path → body or status); any other path is a 404 and recorded. */
export async function startFakeRegistry(routes: Record<string, Buffer | string | object | number | undefined>): Promise<FakeRegistry> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = routes[req.url ?? ''];
    if (body === undefined) {
      res.statusCode = 404;
      res.end('{}');
      return;
    }
    if (typeof body === 'number') {
      res.statusCode = body;
      res.end();
      return;
    }
    if (Buffer.isBuffer(body)) {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(body);
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
