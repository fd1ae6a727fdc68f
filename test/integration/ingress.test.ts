import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ingressConfig } from '../../src/config';
import { startIngress, type Ingress } from '../../src/ingress';
import { ResourceStack } from '../../src/process/resource-stack';
import {
  closeConnection,
  createRequestPathConnection,
  waitUntilReady,
} from '../../src/redis/connections';
import { createMetrics } from '../../src/observability/metrics';
import { QUEUES } from '../../src/queues/catalog';
import type { Config } from '../../src/config';
import { startPrivateRedis, removeDir, type PrivateRedis } from '../../devkit/redis';
import { LogSink, testConfig } from '../helpers/service';
import { accessCodeEvent, newWebhookSecret, postDelivery, signDelivery } from '../../devkit/svix';

interface Harness {
  ingress: Ingress;
  url: string;
  config: Config;
  queue: Queue;
  redis: Redis;
  logs: LogSink;
  lifecycle: { shuttingDown: boolean };
  close(): Promise<void>;
}

async function startHarness(overrides: Record<string, string> = {}): Promise<Harness> {
  const secret = newWebhookSecret();
  const config = ingressConfig(
    testConfig({
      SEAM_WEBHOOK_SECRET: secret,
      API_TOKEN: randomBytes(24).toString('hex'),
      SEAM_API_KEY: 'seam_test_key',
      ...overrides,
    }),
  );
  const logs = new LogSink();
  const lifecycle = { shuttingDown: false };
  const resources = new ResourceStack();
  const requestPath = createRequestPathConnection(
    { url: config.REDIS_URL, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS },
    'ingress',
  );
  resources.defer('ingress redis', () => closeConnection(requestPath));
  await waitUntilReady(requestPath, 5000);
  const ingress = await startIngress({
    config,
    redis: requestPath,
    resources,
    logger: logs.logger,
    metrics: createMetrics(),
    lifecycle,
  });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.events, { connection: redis, prefix: config.QUEUE_PREFIX });
  return {
    ingress,
    url: `http://127.0.0.1:${ingress.http.port}`,
    config,
    queue,
    redis,
    logs,
    lifecycle,
    close: async () => {
      await resources.close();
      await queue.close();
      redis.disconnect();
    },
  };
}

async function queuedJobs(queue: Queue) {
  return queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']);
}

describe('POST /webhooks/seam', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const secret = () => h.config.SEAM_WEBHOOK_SECRET as string;

  it('queues an authentic access_code event once, with what the workers need and no PIN', async () => {
    const event = accessCodeEvent({
      event_type: 'access_code.failed_to_set_on_device',
      access_code_errors: [
        {
          error_code: 'failed_to_set_on_device',
          message: 'lock refused',
          created_at: new Date().toISOString(),
        },
      ],
    });
    const d = signDelivery(secret(), event);
    const res = await postDelivery(h.url, d);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, outcome: 'accepted' });

    const jobs = (await queuedJobs(h.queue)).filter((j) => j.data.delivery_id === d.id);
    expect(jobs).toHaveLength(1);
    const data = jobs[0]!.data;
    expect(data).toMatchObject({
      delivery_id: d.id,
      event_id: event.event_id,
      event_type: 'access_code.failed_to_set_on_device',
      access_code_id: event.access_code_id,
      device_id: 'device_1',
      occurred_at: event.occurred_at,
      errors: [{ code: 'failed_to_set_on_device', message: 'lock refused' }],
      warnings: [],
    });
    expect(Date.parse(data.received_at)).not.toBeNaN();
    expect(JSON.stringify(data)).not.toContain('482913');
  });

  it('queues a resent delivery (same svix-id) only once, even after the first job is gone', async () => {
    const d = signDelivery(secret(), accessCodeEvent());
    expect((await postDelivery(h.url, d)).status).toBe(200);
    const again = await postDelivery(h.url, d);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, outcome: 'duplicate' });

    // Svix may resend hours later, after the job was processed: the delivery id is still known,
    // and is remembered for longer than Svix's whole retry schedule (about 27.5 h).
    const workerRedis = new Redis(h.config.REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker(QUEUES.events, async () => undefined, {
      connection: workerRedis,
      prefix: h.config.QUEUE_PREFIX,
    });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await h.queue.getCompletedCount()) === 0) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.close();
    workerRedis.disconnect();
    const [first] = (await queuedJobs(h.queue)).filter((j) => j.data.delivery_id === d.id);
    expect(await first!.getState()).toBe('completed');
    const ttl = await h.redis.pttl(`${h.config.QUEUE_PREFIX}:${QUEUES.events}:de:${d.id}`);
    expect(ttl).toBeGreaterThan(27.5 * 3600_000);

    const later = signDelivery(secret(), JSON.parse(d.body), { id: d.id });
    const res = await postDelivery(h.url, later);
    expect(await res.json()).toEqual({ ok: true, outcome: 'duplicate' });
    expect((await queuedJobs(h.queue)).filter((j) => j.data.delivery_id === d.id)).toHaveLength(1);
  });

  it('queues concurrent copies of one delivery once', async () => {
    const d = signDelivery(secret(), accessCodeEvent());
    const answers = await Promise.all(Array.from({ length: 10 }, () => postDelivery(h.url, d)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    const outcomes = await Promise.all(
      answers.map(async (r) => ((await r.json()) as { outcome: string }).outcome),
    );
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(1);
    expect((await queuedJobs(h.queue)).filter((j) => j.data.delivery_id === d.id)).toHaveLength(1);
  });

  it.each([
    [
      'tampered body',
      (d: ReturnType<typeof signDelivery>) => ({
        ...d,
        body: d.body.replace('set_on_device', 'removed_from_device'),
      }),
    ],
    [
      'no signature',
      (d: ReturnType<typeof signDelivery>) => ({
        ...d,
        headers: { ...d.headers, 'svix-signature': '' },
      }),
    ],
    [
      'no headers at all',
      (d: ReturnType<typeof signDelivery>) => ({
        ...d,
        headers: { 'content-type': 'application/json' },
      }),
    ],
    [
      'signature of another body',
      (d: ReturnType<typeof signDelivery>) => {
        const other = signDelivery(secret(), accessCodeEvent(), { id: d.id });
        return {
          ...d,
          headers: { ...d.headers, 'svix-signature': other.headers['svix-signature']! },
        };
      },
    ],
    [
      'another secret',
      (d: ReturnType<typeof signDelivery>) =>
        signDelivery(newWebhookSecret(), JSON.parse(d.body), { id: d.id }),
    ],
    [
      'stale timestamp (6 min)',
      (d: ReturnType<typeof signDelivery>) =>
        signDelivery(secret(), JSON.parse(d.body), {
          id: d.id,
          at: new Date(Date.now() - 6 * 60_000),
        }),
    ],
    [
      'future timestamp (6 min)',
      (d: ReturnType<typeof signDelivery>) =>
        signDelivery(secret(), JSON.parse(d.body), {
          id: d.id,
          at: new Date(Date.now() + 6 * 60_000),
        }),
    ],
    [
      'truncated signature',
      (d: ReturnType<typeof signDelivery>) => ({
        ...d,
        headers: { ...d.headers, 'svix-signature': d.headers['svix-signature']!.slice(0, 20) },
      }),
    ],
  ])('answers 401 and queues nothing for a %s', async (_name, mutate) => {
    const original = signDelivery(secret(), accessCodeEvent());
    const bad = mutate(original);
    const res = await postDelivery(h.url, bad);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: 'invalid_signature', message: expect.any(String), details: [] },
    });
    expect(
      (await queuedJobs(h.queue)).filter((j) => j.data.delivery_id === original.id),
    ).toHaveLength(0);
  });

  it('accepts a delivery with several signatures when one is valid, and a 4-minute-old one', async () => {
    const d = signDelivery(secret(), accessCodeEvent(), { at: new Date(Date.now() - 4 * 60_000) });
    const forged = `v1,${Buffer.alloc(32, 7).toString('base64')}`;
    const res = await postDelivery(h.url, d, {
      'svix-signature': `v2,abc ${forged} ${d.headers['svix-signature']}`,
    });
    expect(res.status).toBe(200);
  });

  it('answers 413 to a body over the limit before checking its signature', async () => {
    const huge = 'x'.repeat(h.config.WEBHOOK_BODY_LIMIT_BYTES + 1);
    const d = signDelivery(secret(), undefined, { body: JSON.stringify({ pad: huge }) });
    const res = await postDelivery(h.url, {
      ...d,
      headers: { ...d.headers, 'svix-signature': 'v1,forged' },
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
  });

  it('acknowledges but does not queue an authentic event of another type', async () => {
    const d = signDelivery(secret(), {
      event_id: 'e1',
      event_type: 'device.connected',
      device_id: 'd1',
    });
    const res = await postDelivery(h.url, d);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, outcome: 'ignored' });
    expect((await queuedJobs(h.queue)).filter((j) => j.data.delivery_id === d.id)).toHaveLength(0);
  });

  it('parks an authentic access_code event that fails the schema, with its PINs removed', async () => {
    const event = accessCodeEvent({ access_code_id: undefined, code: '771234' });
    event.changed_properties = [{ property: 'code', from: '111111', to: '771234' }];
    const d = signDelivery(secret(), event);
    const res = await postDelivery(h.url, d);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, outcome: 'parked' });
    const parked = await h.ingress.parked.list();
    const mine = parked.find((p) => p.delivery_id === d.id);
    expect(mine).toMatchObject({
      reason: 'schema',
      problems: [expect.stringContaining('access_code_id')],
    });
    expect(JSON.stringify(mine)).not.toMatch(/771234|111111/);
    expect((await queuedJobs(h.queue)).filter((j) => j.data.delivery_id === d.id)).toHaveLength(0);
  });

  it('parks an authentic body that is not JSON', async () => {
    const d = signDelivery(secret(), undefined, { body: '{"event_type": "access_code.set_on_dev' });
    const res = await postDelivery(h.url, d);
    expect(res.status).toBe(200);
    const parked = await h.ingress.parked.list();
    expect(parked.find((p) => p.delivery_id === d.id)).toMatchObject({ reason: 'invalid_json' });
  });

  it('never writes a PIN, the secret or a signature to the logs', async () => {
    const d = signDelivery(secret(), accessCodeEvent({ code: '90817263' }));
    await postDelivery(h.url, d);
    await postDelivery(h.url, { ...d, body: d.body.replace('9081', '9082') });
    const text = h.logs.text();
    expect(text).toContain('/webhooks/seam');
    expect(text).not.toContain('90817263');
    expect(text).not.toContain(secret().slice(6, 30));
    expect(text).not.toContain(d.headers['svix-signature']!.slice(3));
  });
});

describe('health endpoints', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('reports liveness and readiness, and turns unready when shutting down', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    h.lifecycle.shuttingDown = true;
    const draining = await fetch(`${h.url}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'unavailable', reason: 'shutting down' });
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    h.lifecycle.shuttingDown = false;
  });
});

describe('when Redis goes away', () => {
  let redis: PrivateRedis;
  let h: Harness;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    h = await startHarness({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await h.close();
    await redis.stop();
    removeDir(redis.dir);
  });

  it('answers 503 within 2 s (never 2xx), and recovers without a restart', async () => {
    const before = signDelivery(h.config.SEAM_WEBHOOK_SECRET!, accessCodeEvent());
    expect((await postDelivery(h.url, before)).status).toBe(200);

    await redis.stop();
    const d = signDelivery(h.config.SEAM_WEBHOOK_SECRET!, accessCodeEvent());
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 5 }, () => postDelivery(h.url, d)));
    expect(answers.map((r) => r.status)).toEqual(Array(5).fill(503));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(answers[0]!.headers.get('retry-after')).toBe('5');
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
    // The failing check by name, and nothing of why: no address, port or error text.
    expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'redis not ready' });
    // The why is for the operator, in the log.
    expect(h.logs.lines.some((l) => /"check":"redis".*"msg":"not ready"/.test(l))).toBe(true);

    await redis.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await postDelivery(h.url, d)).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    const jobs = (await queuedJobs(h.queue)).filter((j) => j.data.delivery_id === d.id);
    expect(jobs).toHaveLength(1);
  });
});
