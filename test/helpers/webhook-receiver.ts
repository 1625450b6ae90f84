/**
 * A real webhook receiver on 127.0.0.1: records every delivery (headers and exact body bytes) and answers
 * as the test says — a status, or hold the request open until released. `down()` closes the port (a
 * receiver that is down refuses connections); `up()` listens on the same port again.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedDelivery {
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly json: Record<string, any>;
}

/** What to answer: a status (with optional headers), or `hold` to keep the request open until `release()`. */
export type Answer = number | { status: number; headers?: Record<string, string> } | 'hold';

export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  /** Decides each answer; by default 200. */
  answer: (delivery: ReceivedDelivery, index: number) => Answer = () => 200;
  private server: Server | null = null;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly held: ServerResponse[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async up(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        let json: Record<string, any> = {};
        try {
          json = JSON.parse(body.toString('utf8')) as Record<string, any>;
        } catch {
          // recorded as is
        }
        const delivery = { headers: req.headers, body, json };
        this.received.push(delivery);
        const answer = this.answer(delivery, this.received.length - 1);
        if (answer === 'hold') {
          this.held.push(res);
          return;
        }
        const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        res.writeHead(status, headers);
        res.end();
      });
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Answers every held request with `status`. */
  release(status = 200): void {
    for (const res of this.held.splice(0)) if (!res.writableEnded) res.writeHead(status).end();
  }

  /** Closes the port and every connection: deliveries now fail to connect. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.release(503);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
