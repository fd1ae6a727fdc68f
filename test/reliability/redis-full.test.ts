/**
 * Reliability: Redis full (`maxmemory` reached under `noeviction`, as compose runs it).
 *
 * A real redis-server with a memory cap, the ingress in this process against the Seam
 * simulator. Once Redis has no room, every write it refuses is answered 503 with Retry-After:
 * Seam's deliveries (Svix retries them) and the booking system's requests, never a 500. The
 * refusal is an alert (a counter per reason, an error line), and no log line carries the
 * guest record the refused write held (a Redis error carries the command's arguments). When
 * Redis has room again, the same deliveries are accepted, each queued exactly once, and the
 * same request creates its guest code: nothing was lost.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startService, type RunningService } from '../../app/service';
import type { Config } from '../../src/config';
import { QUEUES } from '../../src/queues/catalog';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { removeDir, startPrivateRedis, type PrivateRedis } from '../../devkit/redis';
import { LogSink, testConfig } from '../helpers/service';
import { hourlyWindow } from '../helpers/stack';
import {
  accessCodeEvent,
  postDelivery,
  signDelivery,
  type SignedDelivery,
} from '../../devkit/svix';
import { LogWatch, recordFigures } from './support';

jest.setTimeout(90_000);

const TOKEN = 'redis-full-api-token-0123456789abcdef';

describe('when Redis is full (maxmemory, noeviction)', () => {
  let redis: PrivateRedis;
  let sim: Simulator;
  let conn: Redis;
  let service: RunningService;
  let config: Config;
  let url: string;
  let events: Queue;
  const logs = new LogSink('debug');
  const watch = new LogWatch();
  const figures: Record<string, unknown> = {};

  const guest = {
    name: `Grace Hopper ${randomUUID().slice(0, 8)}`,
    email: `grace.${randomUUID().slice(0, 8)}@guest.example`,
    phone: '+1 212 555 0142',
  };
  let booking: Record<string, unknown>;
  const deliveries: SignedDelivery[] = [];

  const api = async (body: unknown) => {
    const res = await fetch(`${url}/v1/guest-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as { error?: { code: string }; guest_code?: { id: string } },
    };
  };
  const metric = async (name: string, labels: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return Number(line?.split(' ')[1] ?? NaN);
  };
  const queuedFor = async (deliveryId: string) =>
    (await events.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).filter(
      (j) => (j.data as { delivery_id: string }).delivery_id === deliveryId,
    ).length;

  beforeAll(async () => {
    redis = await startPrivateRedis({ maxmemory: '64mb' });
    sim = await startSimulator();
    conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    config = testConfig({
      REDIS_URL: redis.url,
      SEAM_WEBHOOK_SECRET: sim.webhookSecret,
      SEAM_API_KEY: sim.apiKey,
      SEAM_ENDPOINT: sim.url,
      API_TOKEN: TOKEN,
      DEVICE_CACHE_TTL_MS: '0',
      WEBHOOK_RATE_LIMIT: '0',
    });
    service = await startService(['ingress'], config, logs.logger);
    url = `http://127.0.0.1:${service.port}`;
    events = new Queue(QUEUES.events, { connection: conn, prefix: config.QUEUE_PREFIX });
    watch.addSource(() => logs.lines);
    watch.addSecret('API token', TOKEN);
    watch.addSecret('webhook secret', sim.webhookSecret);
    watch.addSecret('Seam API key', sim.apiKey);
    booking = {
      device_id: sim.devices.igloohome[0],
      reference: `full-${randomUUID()}`,
      guest,
      ...hourlyWindow(5, 24),
    };
  });

  afterAll(async () => {
    await events?.close();
    for (const step of service?.shutdownSteps() ?? []) await step.run();
    await sim?.close();
    conn?.disconnect();
    await redis?.stop();
    if (redis) removeDir(redis.dir);
    recordFigures('redis-full', figures);
    expect(watch.leaks([])).toEqual([]);
  });

  it('answers 503 with Retry-After to every write Redis refuses, and raises the alert', async () => {
    // Fill Redis, then bring its cap below what it holds: from now on it refuses every write.
    for (let i = 0; i < 40; i++) await conn.set(`junk:${i}`, 'x'.repeat(100_000));
    const used = Number(/used_memory:(\d+)/.exec(await conn.info('memory'))![1]);
    await conn.config('SET', 'maxmemory', String(used - 1_000_000));
    await expect(conn.set('probe', '1')).rejects.toThrow(/^OOM/);

    // Seam's deliveries: not stored, so not acknowledged (Svix retries them).
    const answers: number[] = [];
    for (let i = 0; i < 20; i++) {
      const d = signDelivery(sim.webhookSecret, accessCodeEvent());
      deliveries.push(d);
      const res = await postDelivery(url, d);
      answers.push(res.status);
      expect(res.headers.get('retry-after')).toBe('5');
      await res.arrayBuffer();
    }
    expect(answers).toEqual(Array(20).fill(503));

    // The booking system's request: 503 with Retry-After, not a 500.
    const refused = await api(booking);
    expect(refused).toEqual({
      status: 503,
      retryAfter: '5',
      body: { error: { code: 'unavailable', message: expect.any(String), details: [] } },
    });
    // Reads still work.
    const res = await fetch(`${url}/v1/guest-codes?reference=${booking.reference as string}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(404);

    // The alert: a counter per reason for Prometheus, and an error line for the log.
    const oom = await metric('seam_redis_refusals_total', 'reason="oom"');
    expect(oom).toBeGreaterThanOrEqual(21);
    expect(await metric('seam_webhook_deliveries_total', 'outcome="unavailable_503"')).toBe(20);
    const alerts = logs.lines.filter((l) => l.includes('Redis refused a write'));
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(alerts[0]!)).toMatchObject({ level: 50, reason: 'oom' });
    figures.while_full = { deliveries: answers, api: refused.status, oom_refusals: oom };
  });

  it('logs no part of the guest record the refused write carried', () => {
    const text = logs.text();
    for (const value of [guest.name, guest.email, guest.phone, booking.reference as string]) {
      expect({ value, logged: text.includes(value) }).toEqual({ value, logged: false });
    }
    expect(logs.lines.filter((l) => l.includes('unhandled error'))).toEqual([]);
  });

  it('loses nothing: with room again, the same deliveries are queued once each, the request succeeds', async () => {
    await conn.config('SET', 'maxmemory', '64mb');
    await conn.del(...Array.from({ length: 40 }, (_, i) => `junk:${i}`));
    const answers: number[] = [];
    for (const d of deliveries) {
      // What Svix does after a 503: the same message again, same svix-id.
      const again = signDelivery(sim.webhookSecret, JSON.parse(d.body), { id: d.id });
      const res = await postDelivery(url, again);
      answers.push(res.status);
      await res.arrayBuffer();
    }
    expect(answers).toEqual(Array(20).fill(200));
    for (const d of deliveries) expect(await queuedFor(d.id)).toBe(1);
    const created = await api(booking);
    expect(created.status).toBe(202);
    expect(created.body.guest_code?.id).toMatch(/^gc_/);
    figures.after = { deliveries: answers, api: created.status, each_queued_once: true };
  });
});

describe('other refusals: a read-only replica, a replica without its master', () => {
  let master: PrivateRedis;
  let replica: PrivateRedis;
  let sim: Simulator;
  let service: RunningService;
  let url: string;
  const logs = new LogSink('debug');

  beforeAll(async () => {
    master = await startPrivateRedis();
    replica = await startPrivateRedis();
    const r = new Redis(replica.url);
    // Serves nothing while it has no master, instead of stale data.
    await r.config('SET', 'replica-serve-stale-data', 'no');
    await r.replicaof('127.0.0.1', master.port);
    for (let i = 0; i < 100 && !/master_link_status:up/.test(await r.info('replication')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    r.disconnect();
    sim = await startSimulator();
    // The service pointed at the replica by mistake (or after a failover it did not follow).
    const config = testConfig({
      REDIS_URL: replica.url,
      SEAM_WEBHOOK_SECRET: sim.webhookSecret,
      SEAM_API_KEY: sim.apiKey,
      SEAM_ENDPOINT: sim.url,
      API_TOKEN: TOKEN,
      DEVICE_CACHE_TTL_MS: '0',
    });
    service = await startService(['ingress'], config, logs.logger);
    url = `http://127.0.0.1:${service.port}`;
  });
  afterAll(async () => {
    for (const step of service?.shutdownSteps() ?? []) await step.run();
    await sim?.close();
    for (const r of [replica, master]) {
      await r?.stop();
      if (r) removeDir(r.dir);
    }
  });

  const attempt = async () => {
    const delivery = await postDelivery(url, signDelivery(sim.webhookSecret, accessCodeEvent()));
    const request = await fetch(`${url}/v1/guest-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        device_id: sim.devices.igloohome[0],
        reference: `replica-${randomUUID()}`,
        guest: { name: 'Ada', email: 'ada@guest.example' },
        ...hourlyWindow(5, 24),
      }),
    });
    await delivery.arrayBuffer();
    await request.arrayBuffer();
    return [
      [delivery.status, delivery.headers.get('retry-after')],
      [request.status, request.headers.get('retry-after')],
    ];
  };
  const refusals = async (reason: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(
      new RegExp(`seam_redis_refusals_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1],
    );
  };

  it('READONLY (a replica): 503 with Retry-After for deliveries and requests', async () => {
    expect(await attempt()).toEqual([
      [503, '5'],
      [503, '5'],
    ]);
    expect(await refusals('readonly')).toBeGreaterThanOrEqual(2);
  });

  it('MASTERDOWN (a replica whose master is gone): 503 with Retry-After too', async () => {
    await master.stop();
    const r = new Redis(replica.url);
    for (let i = 0; i < 100 && !/master_link_status:down/.test(await r.info('replication')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    r.disconnect();
    expect(await attempt()).toEqual([
      [503, '5'],
      [503, '5'],
    ]);
    expect(await refusals('masterdown')).toBeGreaterThanOrEqual(2);
    expect(logs.lines.filter((l) => l.includes('unhandled error'))).toEqual([]);
  });
});
