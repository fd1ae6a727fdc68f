/** A real local HTTP endpoint for signed webhooks (the simulator's, the service's outbound ones): keeps the raw bytes and headers of
 *  every request, verifies each with svix's own `Webhook.verify`, answers what a test says. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'svix';

export interface Received {
  headers: Record<string, string>;
  raw: string;
  verified: boolean;
  event: Record<string, unknown> | null;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Status to answer for the nth request (0-based); default 204. */
  respond: (index: number, req: Received) => number;
  waitFor(predicate: (all: Received[]) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 at a free port; `path` is only what its URL shows (any path is taken). */
export async function startReceiver(
  secret: string,
  opts: { path?: string; onReceive?: (entry: Received) => void } = {},
): Promise<Receiver> {
  const verifier = new Webhook(secret);
  const received: Received[] = [];
  const receiver = {
    url: '',
    received,
    respond: (() => 204) as Receiver['respond'],
  } as Receiver;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.join(',') : (v ?? ''),
        ]),
      );
      let event: Record<string, unknown> | null;
      try {
        verifier.verify(raw, headers); // svix 2 returns nothing: parse what it vouched for
        event = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        event = null;
      }
      const entry: Received = { headers, raw, verified: event !== null, event, at: Date.now() };
      received.push(entry);
      res.statusCode = receiver.respond(received.length - 1, entry);
      res.end();
      opts.onReceive?.(entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${opts.path ?? '/webhooks/seam'}`;
  receiver.waitFor = async (predicate, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(received)) {
      if (Date.now() > deadline)
        throw new Error(`receiver: condition not met (${received.length} received)`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return received;
  };
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}
