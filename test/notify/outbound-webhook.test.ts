import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'svix';
import { createWebhookSender } from '../../src/notify/outbound-webhook';
import { NotificationError } from '../../src/notify/errors';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const PIN = '5519023';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: unknown;
  verifyError: string | undefined;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Status to answer with; 'hang' never answers. */
  respond: number | 'hang';
  close(): Promise<void>;
}

async function startReceiver(secret = SECRET): Promise<Receiver> {
  const received: Received[] = [];
  const state = { respond: 204 as number | 'hang' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string') headers[k] = v;
      }
      let verified: unknown;
      let verifyError: string | undefined;
      try {
        new Webhook(secret).verify(body, headers); // svix 2 checks and returns nothing
        verified = JSON.parse(body);
      } catch (err) {
        verifyError = (err as Error).message;
      }
      received.push({ headers: req.headers, body, verified, verifyError });
      if (state.respond === 'hang') return;
      res.statusCode = state.respond;
      if (state.respond === 302) res.setHeader('location', '/elsewhere');
      res.end(state.respond >= 400 ? `error page echoing ${body}` : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/guest-codes?token=t0ps3cret`,
    received,
    get respond() {
      return state.respond;
    },
    set respond(value) {
      state.respond = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function rejectionOf(p: Promise<unknown>): Promise<NotificationError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NotificationError);
    return err as NotificationError;
  }
  throw new Error('expected the send to fail');
}

function expectSafeMessage(err: NotificationError): void {
  expect(err.channel).toBe('webhook');
  expect(err.message).not.toContain(PIN);
  expect(err.message).not.toContain('"data"');
  expect(err.message).not.toContain('t0ps3cret');
}

describe('outbound webhook sender', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const payload = { guest_code_id: 'gc_1', pin: PIN, lock_name: 'Apartment 4B' };

  it('delivers a body signed exactly like Svix, which the svix library verifies', async () => {
    const sender = createWebhookSender({ url: receiver.url, secret: SECRET });
    const result = await sender.send('guest_code.ready', payload, 'msg_gc_1_ready');

    expect(result).toEqual({ status: 204 });
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(got.verifyError).toBeUndefined();
    expect(got.verified).toEqual({
      type: 'guest_code.ready',
      timestamp: expect.any(String),
      data: payload,
    });
    const body = JSON.parse(got.body) as { timestamp: string };
    expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(10_000);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toBe('msg_gc_1_ready');
    expect(got.headers['svix-id']).toBe('msg_gc_1_ready');
    expect(got.headers['svix-timestamp']).toBe(got.headers['webhook-timestamp']);
    expect(got.headers['svix-signature']).toBe(got.headers['webhook-signature']);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Number(got.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
  });

  it('is rejected by a receiver holding another secret', async () => {
    await receiver.close();
    receiver = await startReceiver(`whsec_${randomBytes(24).toString('base64')}`);
    const sender = createWebhookSender({ url: receiver.url, secret: SECRET });
    await sender.send('guest_code.ready', payload, 'msg_x');
    expect(receiver.received[0]!.verifyError).toBeDefined();
  });

  it('keeps the message id across retries so the receiver can dedupe', async () => {
    const sender = createWebhookSender({ url: receiver.url, secret: SECRET });
    receiver.respond = 503;
    await rejectionOf(sender.send('guest_code.replaced', payload, 'msg_gc_1_replaced'));
    receiver.respond = 200;
    await sender.send('guest_code.replaced', payload, 'msg_gc_1_replaced');
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([
      'msg_gc_1_replaced',
      'msg_gc_1_replaced',
    ]);
    expect(receiver.received.every((r) => r.verifyError === undefined)).toBe(true);
  });

  it.each([500, 503, 429, 408])('treats HTTP %i as retryable', async (status) => {
    receiver.respond = status;
    const sender = createWebhookSender({ url: receiver.url, secret: SECRET });
    const err = await rejectionOf(sender.send('guest_code.failed', payload, 'msg_1'));
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(status);
    expect(err.message).toContain(String(status));
    expectSafeMessage(err);
  });

  it.each([400, 401, 404, 410, 302])('treats HTTP %i as permanent', async (status) => {
    receiver.respond = status;
    const sender = createWebhookSender({ url: receiver.url, secret: SECRET });
    const err = await rejectionOf(sender.send('guest_code.ready', payload, 'msg_2'));
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(status);
    expectSafeMessage(err);
    expect(receiver.received).toHaveLength(1); // a redirect is not followed
  });

  it('times out within the bound on a receiver that never answers', async () => {
    receiver.respond = 'hang';
    const sender = createWebhookSender({ url: receiver.url, secret: SECRET, timeoutMs: 300 });
    const started = Date.now();
    const err = await rejectionOf(sender.send('guest_code.ready', payload, 'msg_3'));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
    expect(err.retryable).toBe(true);
    expect(err.code).toBe('webhook_timeout');
    expectSafeMessage(err);
  });

  it('treats a refused connection as retryable', async () => {
    const url = receiver.url;
    await receiver.close();
    const sender = createWebhookSender({ url, secret: SECRET, timeoutMs: 2000 });
    const err = await rejectionOf(sender.send('guest_code.ready', payload, 'msg_4'));
    expect(err.retryable).toBe(true);
    expect(err.code).toBe('webhook_network');
    expectSafeMessage(err);
    receiver = await startReceiver(); // for afterEach
  });

  it('refuses a malformed secret at construction', () => {
    expect(() =>
      createWebhookSender({ url: receiver.url, secret: 'whsec_!!!not base64' }),
    ).toThrow();
  });
});
