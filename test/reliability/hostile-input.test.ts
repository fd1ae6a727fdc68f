/**
 * Reliability: hostile and broken input at POST /webhooks/seam.
 *
 * The ingress runs in this process on its own redis-server. Every answer must be one of the
 * documented ones (2xx for anything authentic, 401 unsigned or forged, 413 too large, 400/415
 * for a body that cannot be read, 431 for oversized headers), never a 5xx, and the process
 * must keep serving. The basic forgeries (tampered body, no signature, another secret, stale
 * and future timestamps, truncated signature, signature of another body) are in
 * test/integration/ingress.test.ts; these are the nastier ones, plus fast-check fuzzing.
 */
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startService, type RunningService } from '../../app/service';
import type { Config } from '../../src/config';
import { QUEUES } from '../../src/queues/catalog';
import { removeDir, startPrivateRedis, type PrivateRedis } from '../../devkit/redis';
import { LogSink, testConfig } from '../helpers/service';
import { accessCodeEvent, newWebhookSecret, signDelivery } from '../../devkit/svix';
import { LogWatch, recordFigures } from './support';

jest.setTimeout(120_000);

const PAYLOAD_PIN = '482913';

/** Sends raw bytes on one connection; answers the status code (0: the server hung up, or did
 *  not answer within `timeoutMs`). `atFirstAnswer`: stop at the status line instead of waiting
 *  for the server to close (for requests whose body is deliberately never finished). */
function rawRequest(
  port: number,
  bytes: string | Buffer,
  opts: { timeoutMs?: number; atFirstAnswer?: boolean } = {},
): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const status = () => Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0);
    socket.setTimeout(opts.timeoutMs ?? 10_000, () => socket.destroy());
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (opts.atFirstAnswer && status() !== 0) socket.destroy();
    });
    socket.on('close', () => resolve(status()));
    socket.on('error', () => undefined);
    // No half-close: the server may drop a request whose client already said goodbye.
    socket.write(bytes);
  });
}

describe('hostile input at the webhook', () => {
  let redis: PrivateRedis;
  let service: RunningService;
  let config: Config;
  let url: string;
  let queue: Queue;
  let conn: Redis;
  const logs = new LogSink('debug');
  const watch = new LogWatch();
  const seen = new Map<number, number>();
  const secret = newWebhookSecret();

  const post = async (body: string | Buffer, headers: Record<string, string>) => {
    const res = await fetch(`${url}/webhooks/seam`, { method: 'POST', headers, body });
    const text = await res.text();
    seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
    return { status: res.status, text };
  };
  const queued = async (deliveryId: string) =>
    (await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).filter(
      (j) => (j.data as { delivery_id: string }).delivery_id === deliveryId,
    ).length;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    config = testConfig({
      REDIS_URL: redis.url,
      SEAM_WEBHOOK_SECRET: secret,
      API_TOKEN: 'hostile-token-0123456789abcdef-0123456789',
      SEAM_API_KEY: 'seam_hostile_unused_key_0123456789',
      SEAM_ENDPOINT: 'http://127.0.0.1:9',
      WEBHOOK_RATE_LIMIT: '0',
      // Most of this suite is failed verifications: its budget is tested in api-and-limits.
      AUTH_FAILURE_RATE_LIMIT: '0',
    });
    service = await startService(['ingress'], config, logs.logger);
    url = `http://127.0.0.1:${service.port}`;
    conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    queue = new Queue(QUEUES.events, { connection: conn, prefix: config.QUEUE_PREFIX });
    watch.addSource(() => logs.lines);
    watch.addSecret('webhook secret', secret);
    watch.addSecret('API token', config.API_TOKEN);
    watch.addSecret('Seam API key', config.SEAM_API_KEY);
  });

  afterAll(async () => {
    const alive = await fetch(`${url}/healthz`);
    await queue?.close();
    conn?.disconnect();
    for (const step of service.shutdownSteps()) await step.run();
    await redis?.stop();
    if (redis) removeDir(redis.dir);
    recordFigures('hostile-input', { answers_by_status: Object.fromEntries(seen) });
    expect(alive.status).toBe(200);
    expect([...seen.keys()].filter((s) => s >= 500)).toEqual([]);
    expect(logs.lines.filter((l) => l.includes('unhandled error'))).toEqual([]);
    expect(watch.leaks([PAYLOAD_PIN])).toEqual([]);
  });

  describe('signatures', () => {
    it('many signatures, none valid (wrong scheme, bad base64, empty, 250 entries): 401', async () => {
      const d = signDelivery(secret, accessCodeEvent());
      const good = d.headers['svix-signature']!.slice(3);
      const variants = [
        `v2,${good}`,
        `v1,${good.slice(0, -2)}==`,
        `v1,${good.toLowerCase()}`,
        'v1,',
        ',',
        `v1 ${good}`,
        `v1,${good}x`,
        Array.from({ length: 250 }, (_, i) => `v1,${Buffer.alloc(32, i).toString('base64')}`).join(
          ' ',
        ),
      ];
      for (const sig of variants) {
        const r = await post(d.body, { ...d.headers, 'svix-signature': sig });
        expect(r.status).toBe(401);
      }
      expect(await queued(d.id)).toBe(0);
    });

    it('bad timestamps (not a number, negative, float, far future, 0) and an empty id: 401', async () => {
      const d = signDelivery(secret, accessCodeEvent());
      for (const ts of ['abc', '-1', '1.5', '99999999999999', '0', '']) {
        expect((await post(d.body, { ...d.headers, 'svix-timestamp': ts })).status).toBe(401);
      }
      expect((await post(d.body, { ...d.headers, 'svix-id': '' })).status).toBe(401);
      expect(await queued(d.id)).toBe(0);
    });

    it('the signature of another delivery id: 401', async () => {
      const d = signDelivery(secret, accessCodeEvent());
      const r = await post(d.body, { ...d.headers, 'svix-id': `${d.id}x` });
      expect(r.status).toBe(401);
    });

    it('a replayed delivery (same id and body, resigned later, or with another body): queued once', async () => {
      const event = accessCodeEvent();
      const d = signDelivery(secret, event);
      expect((await post(d.body, d.headers)).status).toBe(200);
      for (let i = 0; i < 5; i++) {
        const again = signDelivery(secret, event, { id: d.id });
        const r = await post(again.body, again.headers);
        expect(r.status).toBe(200);
        expect(JSON.parse(r.text)).toEqual({ ok: true, outcome: 'duplicate' });
      }
      const other = signDelivery(secret, accessCodeEvent(), { id: d.id });
      expect(JSON.parse((await post(other.body, other.headers)).text).outcome).toBe('duplicate');
      expect(await queued(d.id)).toBe(1);
    });
  });

  describe('bodies', () => {
    it('huge bodies, declared or chunked: 413 before any verification, and the server lives on', async () => {
      const big = Buffer.alloc(5 * 1024 * 1024, 'a');
      const d = signDelivery(secret, undefined, { body: big.toString() });
      expect((await post(big, d.headers)).status).toBe(413);
      // No content-length: the limit holds while streaming too (plausible headers get that far).
      const chunked =
        `POST /webhooks/seam HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n` +
        `svix-id: ${d.id}\r\nsvix-timestamp: ${d.headers['svix-timestamp']}\r\n` +
        `svix-signature: ${d.headers['svix-signature']}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n` +
        `${(1024 * 1024).toString(16)}\r\n${'b'.repeat(1024 * 1024)}\r\n0\r\n\r\n`;
      expect(await rawRequest(service.port, chunked)).toBe(413);
      // A body that inflates past the limit (a zip bomb) is refused too.
      const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, '{'));
      const r = await post(bomb, { ...d.headers, 'content-encoding': 'gzip' });
      expect(r.status).toBe(413);
    });

    it('no Svix headers, a stale or future timestamp, no v1 signature: 401 before the body is read', async () => {
      const d = signDelivery(secret, accessCodeEvent());
      const now = Math.floor(Date.now() / 1000);
      const variants: Record<string, string>[] = [
        {},
        { 'svix-id': d.id, 'svix-signature': d.headers['svix-signature']! },
        { ...d.headers, 'svix-timestamp': String(now - 3600) },
        { ...d.headers, 'svix-timestamp': String(now + 3600) },
        { ...d.headers, 'svix-timestamp': 'soon' },
        { ...d.headers, 'svix-signature': `v2,${d.headers['svix-signature']!.slice(3)}` },
      ];
      for (const headers of variants) {
        // The request announces 200 KB and sends 100 bytes: a server that waited for the body
        // (to hash it) would never answer; one that checks the headers first answers at once.
        const head =
          `POST /webhooks/seam HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          Object.entries(headers)
            .filter(([name]) => name !== 'content-type')
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join('') +
          `Content-Length: 200000\r\n\r\n${'x'.repeat(100)}`;
        const status = await rawRequest(service.port, head, {
          timeoutMs: 3000,
          atFirstAnswer: true,
        });
        expect({ headers: Object.keys(headers), status }).toEqual({
          headers: Object.keys(headers),
          status: 401,
        });
        seen.set(401, (seen.get(401) ?? 0) + 1);
      }
      expect(await queued(d.id)).toBe(0);
    });

    it('deeply nested, invalid and odd JSON, authentically signed: 2xx (parked or ignored), never 5xx', async () => {
      const depth = 40_000;
      const bodies = [
        '['.repeat(depth) + ']'.repeat(depth),
        `{"event_type":"access_code.set_on_device","x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
        '{"event_type": "access_code.set_on_dev',
        '',
        'null',
        '"just a string"',
        '\u0000\u0001\u0002',
        '{"event_type":"access_code.set_on_device","__proto__":{"polluted":true}}',
        `{"event_type":${JSON.stringify('x'.repeat(100_000))}}`,
        Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('latin1'),
      ];
      for (const body of bodies) {
        const d = signDelivery(secret, undefined, { body });
        const r = await post(body, d.headers);
        expect({ body: body.slice(0, 40), status: r.status }).toEqual({
          body: body.slice(0, 40),
          status: 200,
        });
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('wrong or missing content types still get the documented answers', async () => {
      const d = signDelivery(secret, accessCodeEvent());
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/octet-stream',
      ]) {
        const again = signDelivery(secret, JSON.parse(d.body), { id: `${d.id}-${type.length}` });
        const r = await post(again.body, { ...again.headers, 'content-type': type });
        expect(r.status).toBe(200);
      }
      // Unsigned, whatever the type: 401.
      expect((await post(d.body, { 'content-type': 'text/html' })).status).toBe(401);
      // A body that cannot be decoded: 400 (corrupt gzip) or 415 (unknown encoding), not 5xx.
      expect((await post('not gzip', { ...d.headers, 'content-encoding': 'gzip' })).status).toBe(
        400,
      );
      expect((await post(d.body, { ...d.headers, 'content-encoding': 'x-foo' })).status).toBe(415);
    });
  });

  describe('headers', () => {
    it('header injection and oversized headers are refused by the HTTP parser, not by a crash', async () => {
      const d = signDelivery(secret, accessCodeEvent());
      const head = (extra: string, sigFirst = '') =>
        `POST /webhooks/seam HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `svix-id: ${d.id}\r\nsvix-timestamp: ${d.headers['svix-timestamp']}\r\n${sigFirst}` +
        `svix-signature: ${d.headers['svix-signature']}\r\n${extra}` +
        `Content-Length: ${Buffer.byteLength(d.body)}\r\nConnection: close\r\n\r\n${d.body}`;
      // A bare CR or a NUL inside a header value: the parser refuses the request.
      expect(await rawRequest(service.port, head('X-Evil: a\rInjected: 1\r\n'))).toBe(400);
      expect(await rawRequest(service.port, head('X-Evil: a\u0000b\r\n'))).toBe(400);
      // 100 KB of headers: 431.
      expect(await rawRequest(service.port, head(`X-Big: ${'h'.repeat(100_000)}\r\n`))).toBe(431);
      // Two svix-signature headers (node joins them with ", "): a valid one among them counts.
      expect(await rawRequest(service.port, head('', 'svix-signature: v1,Zm9yZ2Vk\r\n'))).toBe(200);
      expect(await queued(d.id)).toBe(1);
      for (const s of [400, 431, 200]) seen.set(s, (seen.get(s) ?? 0) + 1);
    });

    it('a hostile x-request-id is neither echoed nor logged', async () => {
      const d = signDelivery(secret, accessCodeEvent());
      const evil = 'abc","level":60,"msg":"forged';
      const res = await fetch(`${url}/webhooks/seam`, {
        method: 'POST',
        headers: { ...d.headers, 'x-request-id': evil },
        body: d.body,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).not.toBe(evil);
      expect(logs.text()).not.toContain('"msg":"forged');
    });
  });

  describe('property-based (fast-check)', () => {
    const jsonish = fc.oneof(
      fc.jsonValue({ maxDepth: 6 }),
      fc.record({
        event_type: fc.oneof(
          fc.constantFrom('access_code.set_on_device', 'access_code.changed', 'device.connected'),
          fc.string(),
        ),
        event_id: fc.oneof(fc.uuid(), fc.string(), fc.integer()),
        access_code_id: fc.oneof(fc.uuid(), fc.string(), fc.constant(null)),
        device_id: fc.oneof(fc.string(), fc.integer()),
        occurred_at: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
        code: fc.constant(PAYLOAD_PIN),
        extra: fc.jsonValue({ maxDepth: 3 }),
      }),
    );

    it('any authentically signed payload: 200, and queued at most once', async () => {
      await fc.assert(
        fc.asyncProperty(jsonish, async (payload) => {
          const d = signDelivery(secret, payload);
          const r = await post(d.body, d.headers);
          expect(r.status).toBe(200);
          expect(['accepted', 'ignored', 'parked']).toContain(JSON.parse(r.text).outcome);
          expect(await queued(d.id)).toBeLessThanOrEqual(1);
        }),
        { numRuns: 150 },
      );
    });

    it('any body and any svix headers without the secret: 401 (or 413), never queued', async () => {
      const headerValue = fc.oneof(fc.string(), fc.stringMatching(/^[\x21-\x7e]{0,80}$/));
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
          ),
          fc.record(
            {
              'svix-id': headerValue,
              'svix-timestamp': fc.oneof(
                headerValue,
                fc
                  .integer({ min: -1e6, max: 1e6 })
                  .map((o) => String(Math.floor(Date.now() / 1000) + o)),
              ),
              'svix-signature': fc.oneof(
                headerValue,
                fc
                  .uint8Array({ minLength: 32, maxLength: 32 })
                  .map((a) => `v1,${Buffer.from(a).toString('base64')}`),
              ),
              'content-type': fc.constantFrom('application/json', 'text/plain', ''),
            },
            { requiredKeys: [] },
          ),
          async (body, headers) => {
            // Headers fetch cannot send are not what this property is about.
            const clean = Object.fromEntries(
              Object.entries(headers).filter(([, v]) => /^[\x20-\x7e]*$/.test(v)),
            );
            const r = await post(body, clean);
            expect([401, 413]).toContain(r.status);
            if (clean['svix-id']) expect(await queued(clean['svix-id'])).toBe(0);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
