/**
 * Reliability: the provisioning API's authentication, and the limits on the public endpoints.
 *
 * The ingress in this process, on its own redis-server, against the Seam simulator. Fuzzed
 * request bodies (400/422, never a code) are in test/integration/provisioning.test.ts; here:
 * tokens (missing, wrong, near misses, fuzzed headers) never reach a handler or create
 * anything, every comparison goes through a constant-time compare of equal-length digests,
 * body limits answer 413, and the per-IP rate limits answer 429 with Retry-After, count in
 * metrics, leave health and metrics alone, and cannot be dodged with X-Forwarded-For unless
 * TRUST_PROXY says who may set it.
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { startService, type RunningService } from '../../src/app';
import { ConfigError, loadConfig, type Config } from '../../src/config';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { removeDir, startPrivateRedis, type PrivateRedis } from '../helpers/redis-server';
import { LogSink, testConfig } from '../helpers/service';
import { hourlyWindow } from '../helpers/stack';
import { accessCodeEvent, newWebhookSecret, postDelivery, signDelivery } from '../helpers/webhooks';
import { LogWatch, recordFigures } from './support';

jest.setTimeout(90_000);

const TOKEN = 'reliability-api-token-0123456789abcdef';

interface Running {
  service: RunningService;
  url: string;
  config: Config;
}

describe('the provisioning API and the public endpoints under abuse', () => {
  let redis: PrivateRedis;
  let sim: Simulator;
  let conn: Redis;
  const logs = new LogSink('debug');
  const watch = new LogWatch();
  const running: Running[] = [];
  const figures: Record<string, unknown> = {};

  async function start(env: Record<string, string> = {}): Promise<Running> {
    const config = testConfig({
      REDIS_URL: redis.url,
      SEAM_WEBHOOK_SECRET: newWebhookSecret(),
      API_TOKEN: TOKEN,
      SEAM_API_KEY: sim.apiKey,
      SEAM_ENDPOINT: sim.url,
      DEVICE_CACHE_TTL_MS: '0',
      ...env,
    });
    watch.addSecret(`webhook secret ${running.length}`, config.SEAM_WEBHOOK_SECRET);
    const service = await startService(['ingress'], config, logs.logger);
    const r = { service, url: `http://127.0.0.1:${service.port}`, config };
    running.push(r);
    return r;
  }

  const guestCodeKeys = async (prefix: string) => (await conn.keys(`${prefix}:gc*`)).length;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    sim = await startSimulator();
    conn = new Redis(redis.url);
    watch.addSource(() => logs.lines);
    watch.addSecret('API token', TOKEN);
    watch.addSecret('Seam API key', sim.apiKey);
    watch.addSecret('Seam webhook secret', sim.webhookSecret);
  });

  afterAll(async () => {
    for (const r of running) for (const step of r.service.shutdownSteps()) await step.run();
    await sim?.close();
    conn?.disconnect();
    await redis?.stop();
    if (redis) removeDir(redis.dir);
    recordFigures('api-and-limits', figures);
    expect(watch.leaks([])).toEqual([]);
  });

  describe('authentication', () => {
    let r: Running;
    beforeAll(async () => {
      r = await start({ API_RATE_LIMIT: '0' });
    });

    const booking = () =>
      JSON.stringify({
        device_id: sim.devices.igloohome[0],
        guest: { name: 'Mallory', email: 'mallory@example.com' },
        ...hourlyWindow(3, 24),
        reference: `auth-${Math.random()}`,
      });

    it('no token, a wrong one, near misses and tokens in the wrong place: 401, nothing created', async () => {
      const headers: (Record<string, string> | undefined)[] = [
        undefined,
        { authorization: '' },
        { authorization: 'Bearer' },
        { authorization: 'Bearer ' },
        { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Bearer ${TOKEN.toUpperCase()}` },
        { authorization: `Token ${TOKEN}` },
        { authorization: `Bearer  ${'x'.repeat(8000)}` },
        { authorization: `Basic ${Buffer.from(`user:${TOKEN}x`).toString('base64')}` },
        { 'x-api-key': TOKEN },
        { cookie: `token=${TOKEN}` },
      ];
      for (const h of headers) {
        const res = await fetch(`${r.url}/v1/guest-codes?token=${TOKEN}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...h },
          body: booking(),
        });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      }
      expect(await guestCodeKeys(r.config.QUEUE_PREFIX)).toBe(0);
      expect(sim.requestCounts()['/access_codes/create'] ?? 0).toBe(0);
    });

    it('fuzzed Authorization headers: always 401, never a record', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.stringMatching(/^[\x20-\x7e]{0,200}$/),
            fc.stringMatching(/^[\x21-\x7e]{0,64}$/).map((t) => `Bearer ${t}`),
            fc
              .stringMatching(/^[\x20-\x7e]{0,64}$/)
              .map((t) => `Basic ${Buffer.from(t).toString('base64')}`),
          ),
          async (authorization) => {
            fc.pre(!authorization.includes(TOKEN));
            const res = await fetch(`${r.url}/v1/guest-codes`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization },
              body: booking(),
            });
            await res.arrayBuffer();
            expect(res.status).toBe(401);
          },
        ),
        { numRuns: 150 },
      );
      expect(await guestCodeKeys(r.config.QUEUE_PREFIX)).toBe(0);
    });

    it('compares every token in constant time: equal-length digests through timingSafeEqual', async () => {
      const spy = jest.spyOn(crypto, 'timingSafeEqual');
      try {
        for (const given of ['x', TOKEN.slice(0, 8), `${TOKEN}${'y'.repeat(500)}`, TOKEN]) {
          spy.mockClear();
          const res = await fetch(`${r.url}/v1/guest-codes/gc_none`, {
            headers: { authorization: `Bearer ${given}` },
          });
          await res.arrayBuffer();
          expect(res.status).toBe(given === TOKEN ? 404 : 401);
          expect(spy).toHaveBeenCalledTimes(1);
          const [a, b] = spy.mock.calls[0]! as [Buffer, Buffer];
          expect([a.length, b.length]).toEqual([32, 32]);
        }
      } finally {
        spy.mockRestore();
      }
    });

    it('a body over the API limit: 413 body_too_large, nothing created', async () => {
      const res = await fetch(`${r.url}/v1/guest-codes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ pad: 'x'.repeat(100_000) }),
      });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
      expect(await guestCodeKeys(r.config.QUEUE_PREFIX)).toBe(0);
    });
  });

  describe('rate limits (per process, per client IP)', () => {
    it('/v1: past API_RATE_LIMIT a 429 with Retry-After and the JSON error; X-Forwarded-For does not reset it', async () => {
      const r = await start({ API_RATE_LIMIT: '5', WEBHOOK_RATE_LIMIT: '1000' });
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${r.url}/v1/guest-codes/gc_none`, {
          headers: { authorization: `Bearer wrong-${i}`, 'x-forwarded-for': `198.51.100.${i}` },
        });
        statuses.push(res.status);
        if (res.status === 429) limited ??= res;
        else await res.arrayBuffer();
      }
      // Wrong tokens count too: the limit also bounds guessing.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
      expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await limited!.json()).toEqual({
        error: { code: 'rate_limited', message: expect.any(String) },
      });
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        for (let i = 0; i < 10; i++) {
          const res = await fetch(`${r.url}${path}`);
          await res.arrayBuffer();
          expect(res.status).toBe(200);
        }
      }
      figures.api = { limit: 5, answers: statuses };
    });

    it('/webhooks/seam: past WEBHOOK_RATE_LIMIT a 429 (Svix retries), not queued, counted as rate_limited_429', async () => {
      const r = await start({ WEBHOOK_RATE_LIMIT: '10', API_RATE_LIMIT: '1000' });
      const secret = r.config.SEAM_WEBHOOK_SECRET!;
      const answers: number[] = [];
      let limitedId = '';
      let acceptedId = '';
      for (let i = 0; i < 14; i++) {
        const d = signDelivery(secret, accessCodeEvent());
        const res = await postDelivery(r.url, d);
        answers.push(res.status);
        if (res.status === 200) acceptedId = d.id;
        if (res.status === 429) {
          limitedId = d.id;
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        }
        await res.arrayBuffer();
      }
      expect(answers).toEqual([...Array(10).fill(200), ...Array(4).fill(429)]);
      const seen = (id: string) => conn.exists(`${r.config.QUEUE_PREFIX}:seam-events:de:${id}`);
      expect(await seen(acceptedId)).toBe(1);
      expect(await seen(limitedId)).toBe(0);
      const metrics = await (await fetch(`${r.url}/metrics`)).text();
      expect(metrics).toMatch(/seam_webhook_deliveries_total\{outcome="rate_limited_429"\} 4\b/);
      figures.webhook = { limit: 10, answers };
    });

    it('with TRUST_PROXY naming the balancer, each forwarded client has its own budget', async () => {
      const r = await start({ API_RATE_LIMIT: '3', TRUST_PROXY: 'loopback' });
      const ask = async (client: string) => {
        const res = await fetch(`${r.url}/v1/guest-codes/gc_none`, {
          headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': client },
        });
        await res.arrayBuffer();
        return res.status;
      };
      const a = [];
      for (let i = 0; i < 5; i++) a.push(await ask('203.0.113.7'));
      expect(a).toEqual([404, 404, 404, 429, 429]);
      expect(await ask('203.0.113.8')).toBe(404);
      // A client cannot pose as another by prepending addresses: the balancer appends the
      // real one, and that is what counts.
      expect(await ask('203.0.113.99, 203.0.113.7')).toBe(429);
    });

    it('TRUST_PROXY=true (anyone may pick their rate-limit key) is refused at start-up', () => {
      expect(() => loadConfig({ TRUST_PROXY: 'true' }, [])).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: 'not-an-ip' }, [])).toThrow(/TRUST_PROXY/);
      expect(loadConfig({ TRUST_PROXY: '1' }, []).TRUST_PROXY).toBe(1);
      expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }, []).TRUST_PROXY).toBe(
        '10.0.0.0/8, loopback',
      );
      expect(loadConfig({}, []).TRUST_PROXY).toBe(false);
    });
  });
});
