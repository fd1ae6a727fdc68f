/**
 * GET /metrics as Prometheus sees it: the whole service against the simulator, a real SMTP
 * server and a real receiver; every figure is checked against what the other side saw (the
 * simulator's request log and deliveries, the receiver, BullMQ's own counts in Redis).
 */
import net from 'node:net';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startService, type RunningService } from '../../app/service';
import { GUEST_CODE_STATUSES } from '../../src/domain/guest-code';
import { createMetrics } from '../../src/observability/metrics';
import { observeJobs } from '../../src/observability/jobs';
import { QUEUES } from '../../src/queues/catalog';
import { SEAM_ENDPOINTS } from '../../src/seam/client';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { isAccepting } from '../../devkit/redis';
import { LogSink, testConfig, testRedisUrl } from '../helpers/service';
import { API_TOKEN, hourlyWindow, startStack, type Stack } from '../helpers/stack';
import { accessCodeEvent, postDelivery, signDelivery } from '../../devkit/svix';
import { Scrape, scrape } from './exposition';

const QUEUE_NAMES = Object.values(QUEUES);
/** Queues with nothing left to do (the sweep queue always holds its next tick, delayed). */
const WORK_QUEUES = QUEUE_NAMES.filter((q) => q !== QUEUES.sweep);

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('GET /metrics of the running service', () => {
  let s: Stack;
  let first: Scrape;
  let last: Scrape;
  const metricsUrl = () => `${s.url}/metrics`;

  beforeAll(async () => {
    s = await startStack({
      sim: { settingAfterMs: 100, setAfterMs: 300 },
      env: { REPLACE_AFTER_MS: '0', MAX_REPLACEMENTS: '1' },
    });
    first = await scrape(metricsUrl());
  });
  afterAll(async () => {
    await s?.close();
  });

  it('shows every known label value at 0 before anything happened', () => {
    for (const outcome of [
      'accepted',
      'duplicate',
      'ignored',
      'parked',
      'rejected_401',
      'rejected_413',
      'rate_limited_429',
      'unavailable_503',
    ]) {
      expect(first.value('seam_webhook_deliveries_total', { outcome })).toBe(0);
      expect(first.value('seam_webhook_duration_seconds_count', { outcome })).toBe(0);
    }
    for (const queue of QUEUE_NAMES) {
      for (const outcome of ['completed', 'failed', 'retrying']) {
        // (the sweeper's first tick may already have run)
        expect(first.value('seam_jobs_total', { queue, outcome })).toBeDefined();
        expect(first.value('seam_job_duration_seconds_count', { queue, outcome })).toBeDefined();
      }
    }
    expect(first.labelValues('seam_queue_jobs', 'queue')).toEqual([...QUEUE_NAMES].sort());
    expect(first.labelValues('seam_queue_jobs', 'state')).toEqual(
      ['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting'].sort(),
    );
    for (const endpoint of SEAM_ENDPOINTS) {
      expect(first.value('seam_api_requests_total', { endpoint, status: '200' })).toBeDefined();
    }
    for (const status of GUEST_CODE_STATUSES) {
      expect(first.value('guest_codes', { status })).toBe(0);
    }
    for (const reason of ['oom', 'readonly', 'loading', 'masterdown', 'timeout', 'unreachable']) {
      expect(first.value('seam_redis_refusals_total', { reason })).toBe(0);
    }
    for (const channel of ['email', 'webhook', 'alert_webhook']) {
      for (const outcome of ['sent', 'failed']) {
        expect(first.value('guest_notifications_total', { channel, outcome })).toBe(0);
      }
    }
    expect(first.value('guest_code_replacements_total', { reason: 'not_set_in_time' })).toBe(0);
    expect(first.value('process_cpu_seconds_total')).toBeDefined();
    // Labels never carry an id: no label value looks like a Seam id, a UUID or a reference.
    for (const sample of first.samples) {
      for (const v of Object.values(sample.labels)) expect(v).not.toMatch(/[0-9a-f]{8}-/);
    }
  });

  it('moves with deliveries, jobs, Seam calls, notifications and replacements', async () => {
    const [good, bad] = s.sim.devices.igloohome;
    // A: the first create answers 429 (one retry), its webhook to the booking system first
    // answers 500 (one failed send, then sent). B: every code fails to set, so it is
    // replaced once (MAX_REPLACEMENTS=1), then fails with an ops alert.
    s.sim.setFaults({
      createErrors: { count: 1, status: 429, retryAfterSeconds: 0 },
      duplicateDeliveries: 2,
      devices: { [bad!]: { failToSet: true } },
    });
    s.notifyReceiver.respond = (index) => (index === 0 ? 500 : 204);

    const unknown = await s.api('/v1/guest-codes', {
      body: {
        device_id: 'device_does_not_exist',
        guest: { name: 'Nobody', phone: '+44 20 7946 0000' },
        ...hourlyWindow(2, 24),
        reference: 'metrics-unknown-device',
      },
    });
    expect(unknown.status).toBe(404);

    const a = await s.api('/v1/guest-codes', {
      body: {
        device_id: good,
        guest: { name: 'Ada', email: 'ada@example.com' },
        ...hourlyWindow(2, 48),
        reference: 'metrics-a',
      },
    });
    expect(a.status).toBe(202);
    await until('A notified', async () =>
      (await s.store.get(a.body.guest_code.id))?.status === 'notified' ? true : undefined,
    );
    const b = await s.api('/v1/guest-codes', {
      body: {
        device_id: bad,
        guest: { name: 'Bob', phone: '+44 20 7946 0001' },
        ...hourlyWindow(2, 48),
        reference: 'metrics-b',
      },
    });
    expect(b.status).toBe(202);
    await until('B failed', async () =>
      (await s.store.get(b.body.guest_code.id))?.status === 'failed' ? true : undefined,
    );
    await s.notifyReceiver.waitFor(
      (all) => all.some((r) => r.event?.type === 'guest_code.failed'),
      10_000,
    );

    // Deliveries the simulator does not make: forged, too large, another event type, unusable.
    const secret = s.config.SEAM_WEBHOOK_SECRET!;
    const forged = signDelivery('whsec_' + Buffer.from('not the secret').toString('base64'), {
      ...accessCodeEvent(),
    });
    expect((await postDelivery(s.url, forged)).status).toBe(401);
    const huge = signDelivery(secret, accessCodeEvent({ padding: 'x'.repeat(300_000) }));
    expect((await postDelivery(s.url, huge)).status).toBe(413);
    const other = signDelivery(secret, accessCodeEvent({ event_type: 'device.connected' }));
    expect(await (await postDelivery(s.url, other)).json()).toMatchObject({ outcome: 'ignored' });
    const garbled = signDelivery(secret, undefined, { body: 'not json' });
    expect(await (await postDelivery(s.url, garbled)).json()).toMatchObject({ outcome: 'parked' });

    await s.sim.webhooksIdle(10_000);
    // Settled: nothing waiting or running, nothing delayed but the reconciles' far-off
    // rechecks (one per code, at the end of its grace period), and no job ran for a second.
    const quiet = (m: Scrape) =>
      WORK_QUEUES.every((queue) =>
        ['waiting', 'active', 'prioritized', 'delayed'].every(
          (state) =>
            (state === 'delayed' && queue === QUEUES.reconcile) ||
            m.value('seam_queue_jobs', { queue, state }) === 0,
        ),
      );
    last = await until('the queues to settle', async () => {
      const before = await scrape(metricsUrl());
      if (!quiet(before)) return undefined;
      await new Promise((r) => setTimeout(r, 1000));
      const after = await scrape(metricsUrl());
      return quiet(after) && after.sum('seam_jobs_total') === before.sum('seam_jobs_total')
        ? after
        : undefined;
    });
    const m = last;

    // Webhooks: what the simulator delivered, split into first copies and duplicates.
    const delivered = s.sim.deliveries().filter((d) => d.status !== null && d.status < 300);
    const distinct = new Set(delivered.map((d) => d.msgId)).size;
    expect(distinct).toBeGreaterThan(3);
    const outcome = (o: string) => m.value('seam_webhook_deliveries_total', { outcome: o });
    expect({
      accepted: outcome('accepted'),
      duplicate: outcome('duplicate'),
      ignored: outcome('ignored'),
      parked: outcome('parked'),
      rejected_401: outcome('rejected_401'),
      rejected_413: outcome('rejected_413'),
      rate_limited_429: outcome('rate_limited_429'),
      unavailable_503: outcome('unavailable_503'),
    }).toEqual({
      accepted: distinct,
      duplicate: delivered.length - distinct,
      ignored: 1,
      parked: 1,
      rejected_401: 1,
      rejected_413: 1,
      rate_limited_429: 0,
      unavailable_503: 0,
    });
    expect(m.value('seam_webhook_duration_seconds_count', { outcome: 'accepted' })).toBe(distinct);
    expect(m.value('seam_webhook_duration_seconds_count', { outcome: 'duplicate' })).toBe(
      delivered.length - distinct,
    );

    // Seam calls: per endpoint, exactly what the simulator counted.
    const seamCounts = s.sim.requestCounts();
    for (const endpoint of SEAM_ENDPOINTS) {
      expect({ endpoint, n: m.sum('seam_api_requests_total', { endpoint }) }).toEqual({
        endpoint,
        n: seamCounts[endpoint] ?? 0,
      });
      expect(m.sum('seam_api_request_duration_seconds_count', { endpoint })).toBe(
        seamCounts[endpoint] ?? 0,
      );
    }
    expect(m.value('seam_api_requests_total', { endpoint: '/devices/get', status: '404' })).toBe(1);
    expect(
      m.value('seam_api_requests_total', { endpoint: '/access_codes/create', status: '429' }),
    ).toBe(1);
    // A's code, B's code and B's replacement.
    expect(s.sim.accessCodes()).toHaveLength(3);
    expect(
      m.value('seam_api_requests_total', { endpoint: '/access_codes/create', status: '200' }),
    ).toBe(3);

    // Jobs: this process's counts agree with BullMQ's own in Redis, queue by queue.
    for (const queue of QUEUE_NAMES) {
      expect({
        queue,
        completed: m.value('seam_jobs_total', { queue, outcome: 'completed' }),
        failed: m.value('seam_jobs_total', { queue, outcome: 'failed' }),
      }).toEqual({
        queue,
        completed: m.value('seam_queue_jobs', { queue, state: 'completed' }),
        failed: m.value('seam_queue_jobs', { queue, state: 'failed' }),
      });
      for (const o of ['completed', 'failed', 'retrying']) {
        expect(m.value('seam_job_duration_seconds_count', { queue, outcome: o })).toBe(
          m.value('seam_jobs_total', { queue, outcome: o }),
        );
      }
    }
    expect(m.value('seam_jobs_total', { queue: QUEUES.create, outcome: 'completed' })).toBe(3);
    expect(m.value('seam_jobs_total', { queue: QUEUES.create, outcome: 'retrying' })).toBe(1);
    // A's email, A's webhook and B's alert; A's webhook once more after the 500.
    expect(m.value('seam_jobs_total', { queue: QUEUES.notify, outcome: 'completed' })).toBe(3);
    expect(m.value('seam_jobs_total', { queue: QUEUES.notify, outcome: 'retrying' })).toBe(1);
    // One job per accepted delivery (ignored and parked ones are not queued).
    expect(m.value('seam_jobs_total', { queue: QUEUES.events, outcome: 'completed' })).toBe(
      distinct,
    );

    // Notifications: what the mailbox and the receiver got.
    expect(s.smtp.messages).toHaveLength(1);
    const received = s.notifyReceiver.received.map((r) => r.event?.type ?? 'unverified');
    expect(received).toEqual(['guest_code.ready', 'guest_code.ready', 'guest_code.failed']);
    const notified = (channel: string, o: string) =>
      m.value('guest_notifications_total', { channel, outcome: o });
    expect({
      email: [notified('email', 'sent'), notified('email', 'failed')],
      webhook: [notified('webhook', 'sent'), notified('webhook', 'failed')],
      alert: [notified('alert_webhook', 'sent'), notified('alert_webhook', 'failed')],
    }).toEqual({ email: [1, 0], webhook: [1, 1], alert: [1, 0] });

    expect(m.value('guest_code_replacements_total', { reason: 'failed_to_set_on_device' })).toBe(1);
    expect(m.sum('guest_code_replacements_total')).toBe(1);

    // Guest codes by status: the store's records (the 404 request made none).
    expect(
      Object.fromEntries(
        ['requested', 'waiting', 'set', 'notified', 'undelivered', 'failed', 'cancelled'].map(
          (st) => [st, m.value('guest_codes', { status: st })],
        ),
      ),
    ).toEqual({
      requested: 0,
      waiting: 0,
      set: 0,
      notified: 1,
      undelivered: 0,
      failed: 1,
      cancelled: 0,
    });
  });
});

describe('METRICS_PORT', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });

  it.each([[['ingress']], [['worker']], [['ingress', 'worker']]] as const)(
    'serves /metrics only on its own port (roles %j), and closes it on shutdown',
    async (roles) => {
      const config = testConfig({
        METRICS_PORT: '0',
        SEAM_WEBHOOK_SECRET: sim.webhookSecret,
        SEAM_API_KEY: sim.apiKey,
        SEAM_ENDPOINT: sim.url,
        API_TOKEN,
      });
      const service = await startService([...roles], config, new LogSink('warn').logger);
      let stopped = false;
      try {
        expect(service.metricsPort).toEqual(expect.any(Number));
        expect(service.metricsPort).not.toBe(service.port);
        const main = await fetch(`http://127.0.0.1:${service.port}/metrics`);
        expect(main.status).toBe(404);
        expect((await fetch(`http://127.0.0.1:${service.port}/healthz`)).status).toBe(200);

        const own = await scrape(`http://127.0.0.1:${service.metricsPort}/metrics`);
        expect(own.value('seam_webhook_deliveries_total', { outcome: 'accepted' })).toBe(0);
        expect(own.labelValues('seam_queue_jobs', 'queue')).toEqual([...QUEUE_NAMES].sort());
        const health = await fetch(`http://127.0.0.1:${service.metricsPort}/healthz`);
        expect(health.status).toBe(404);

        for (const step of service.shutdownSteps()) await step.run();
        stopped = true;
        expect(await isAccepting(service.metricsPort!)).toBe(false);
      } finally {
        if (!stopped) for (const step of service.shutdownSteps()) await step.run();
      }
    },
  );

  it('is refused when equal to PORT', () => {
    expect(() => testConfig({ PORT: '3999', METRICS_PORT: '3999' })).toThrow(
      /METRICS_PORT: must differ from PORT/,
    );
  });
});

describe('a scrape while Redis does not answer', () => {
  it('answers within the bound, leaving out the Redis-backed gauges, and recovers', async () => {
    const proxy = await startFreezableProxy(new URL(testRedisUrl()).port);
    let service: RunningService | undefined;
    try {
      const sim = await startSimulator();
      try {
        const config = testConfig({
          REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
          REDIS_COMMAND_TIMEOUT_MS: '300',
          SEAM_WEBHOOK_SECRET: sim.webhookSecret,
          SEAM_API_KEY: sim.apiKey,
          SEAM_ENDPOINT: sim.url,
          API_TOKEN,
        });
        service = await startService(['ingress'], config, new LogSink('fatal').logger);
        const url = `http://127.0.0.1:${service.port}/metrics`;
        expect((await scrape(url)).select('seam_queue_jobs')).toHaveLength(QUEUE_NAMES.length * 6);

        proxy.freeze();
        // Without the bound this request would wait for Redis; the abort is only a hang guard.
        const frozen = await scrape(url);
        expect(frozen.select('seam_queue_jobs')).toHaveLength(0);
        expect(frozen.select('guest_codes')).toHaveLength(0);
        expect(frozen.value('seam_metrics_collect_errors_total', { source: 'queues' })).toBe(1);
        expect(frozen.value('seam_metrics_collect_errors_total', { source: 'guest_codes' })).toBe(
          1,
        );
        expect(frozen.value('seam_webhook_deliveries_total', { outcome: 'accepted' })).toBe(0);

        proxy.thaw();
        const back = await until('the gauges to come back', async () => {
          const m = await scrape(url);
          return m.select('guest_codes').length === GUEST_CODE_STATUSES.length ? m : undefined;
        });
        expect(back.select('seam_queue_jobs')).toHaveLength(QUEUE_NAMES.length * 6);
      } finally {
        proxy.thaw();
        if (service) for (const step of service.shutdownSteps()) await step.run();
        await sim.close();
      }
    } finally {
      await proxy.close();
    }
  });
});

describe('job metrics from BullMQ worker events', () => {
  it('counts completed runs, retried failures and final failures, with their durations', async () => {
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const prefix = `tjobs${Date.now().toString(36)}`;
    const metrics = createMetrics();
    const queue = new Queue('jobs-probe', { connection, prefix });
    const worker = new Worker(
      'jobs-probe',
      async (job) => {
        if (job.data.fail) throw new Error('always fails');
        return 'done';
      },
      { connection, prefix, concurrency: 2 },
    );
    observeJobs(metrics, worker);
    try {
      await queue.add('ok', { fail: false });
      await queue.add('ok', { fail: false });
      await queue.add('bad', { fail: true }, { attempts: 3 });
      const value = async (outcome: string) =>
        (await metrics.registry.getSingleMetric('seam_jobs_total')!.get()).values.find(
          (v) => v.labels.queue === 'jobs-probe' && v.labels.outcome === outcome,
        )?.value ?? 0;
      await until('the failing job to fail for good', async () =>
        (await value('failed')) === 1 ? true : undefined,
      );
      expect(await value('completed')).toBe(2);
      expect(await value('retrying')).toBe(2);
      expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 2, failed: 1 });
      const text = await metrics.registry.metrics();
      const m = new Scrape(text);
      expect(
        m.value('seam_job_duration_seconds_count', { queue: 'jobs-probe', outcome: 'retrying' }),
      ).toBe(2);
      expect(
        m.value('seam_job_duration_seconds_count', { queue: 'jobs-probe', outcome: 'failed' }),
      ).toBe(1);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });
});

/** A TCP proxy to Redis that can stop passing commands on: a Redis that accepted the socket
 *  but does not answer, the case a bounded scrape exists for. */
async function startFreezableProxy(targetPort: string) {
  const pairs: { client: net.Socket; upstream: net.Socket }[] = [];
  let frozen = false;
  const hold = (p: { client: net.Socket; upstream: net.Socket }) => {
    p.client.unpipe(p.upstream);
    p.client.pause();
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), '127.0.0.1');
    const pair = { client, upstream };
    pairs.push(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    if (frozen) hold(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      frozen = true;
      for (const p of pairs) hold(p);
    },
    thaw() {
      if (!frozen) return;
      frozen = false;
      for (const p of pairs) p.client.pipe(p.upstream);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const p of pairs) p.client.destroy();
        server.close(() => resolve());
      }),
  };
}
