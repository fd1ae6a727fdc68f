/**
 * Reliability: the provisioning API's authentication, and the limits on the public endpoints.
 *
 * The ingress in this process, on its own redis-server, against the Seam simulator. Fuzzed
 * request bodies (400/422, never a code) are in test/integration/provisioning.test.ts; here:
 * tokens (missing, wrong, near misses, fuzzed headers) never reach a handler or create
 * anything, every comparison goes through a constant-time compare of equal-length digests,
 * body limits answer 413. The budgets come after authentication: a caller with the token spends
 * its own, a signed Seam delivery spends the deliveries', and failed authentications spend a
 * budget of their own per client, so a flood of anonymous or forged requests from behind the
 * same balancer never makes the booking system or Seam answer 429. Past a budget: 429 with
 * Retry-After, counted in metrics; health and metrics are never limited; X-Forwarded-For only
 * counts when TRUST_PROXY says who may set it.
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { startService, type RunningService } from '../../app/service';
import { ConfigError, loadConfig, type Config } from '../../src/config';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { removeDir, startPrivateRedis, type PrivateRedis } from '../../devkit/redis';
import { LogSink, testConfig } from '../helpers/service';
import { hourlyWindow } from '../helpers/stack';
import { accessCodeEvent, newWebhookSecret, postDelivery, signDelivery } from '../../devkit/svix';
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
      r = await start({ API_RATE_LIMIT: '0', AUTH_FAILURE_RATE_LIMIT: '0' });
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
          const res = await fetch(`${r.url}/v1/guest-codes/gc_${crypto.randomUUID()}`, {
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

  describe('budgets: authentication first, then one budget per token, failures apart', () => {
    const limitedBody = {
      error: { code: 'rate_limited', message: expect.any(String), details: [] },
    };

    it('/v1: wrong tokens spend only the failures budget; the token holder keeps its own', async () => {
      const r = await start({ API_RATE_LIMIT: '5', AUTH_FAILURE_RATE_LIMIT: '3' });
      const ask = async (token: string) => {
        const res = await fetch(`${r.url}/v1/guest-codes/gc_${crypto.randomUUID()}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await res.json()) as unknown;
        return { status: res.status, body, retryAfter: Number(res.headers.get('retry-after')) };
      };
      // Anonymous guessing, from the same address as the booking system (one balancer).
      const anonymous = [];
      for (let i = 0; i < 8; i++) anonymous.push(await ask(`wrong-${i}`));
      expect(anonymous.map((a) => a.status)).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
      expect(anonymous[3]!.body).toEqual(limitedBody);
      expect(anonymous[3]!.retryAfter).toBeGreaterThan(0);
      // The booking system is not affected, and has a budget of its own.
      const holder = [];
      for (let i = 0; i < 7; i++) holder.push(await ask(TOKEN));
      expect(holder.map((a) => a.status)).toEqual([404, 404, 404, 404, 404, 429, 429]);
      expect(holder[5]!.body).toEqual(limitedBody);
      expect(holder[5]!.retryAfter).toBeGreaterThan(0);
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        for (let i = 0; i < 10; i++) {
          const res = await fetch(`${r.url}${path}`);
          await res.arrayBuffer();
          expect(res.status).toBe(200);
        }
      }
      figures.api = {
        token_limit: 5,
        failure_limit: 3,
        anonymous: anonymous.map((a) => a.status),
        token_holder: holder.map((a) => a.status),
      };
    });

    it("/webhooks/seam: a flood of forgeries does not make Seam's signed deliveries 429", async () => {
      const r = await start({
        WEBHOOK_RATE_LIMIT: '10',
        API_RATE_LIMIT: '1000',
        AUTH_FAILURE_RATE_LIMIT: '5',
      });
      const secret = r.config.SEAM_WEBHOOK_SECRET!;
      const forger = newWebhookSecret();
      const forged: number[] = [];
      for (let i = 0; i < 50; i++) {
        const res = await postDelivery(r.url, signDelivery(forger, accessCodeEvent()));
        forged.push(res.status);
        await res.arrayBuffer();
      }
      expect(forged).toEqual([...Array(5).fill(401), ...Array(45).fill(429)]);

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
      // Every signed delivery within the deliveries' budget gets through; past it, 429.
      expect(answers).toEqual([...Array(10).fill(200), ...Array(4).fill(429)]);
      const seen = (id: string) => conn.exists(`${r.config.QUEUE_PREFIX}:seam-events:de:${id}`);
      expect(await seen(acceptedId)).toBe(1);
      expect(await seen(limitedId)).toBe(0);
      const metrics = await (await fetch(`${r.url}/metrics`)).text();
      expect(metrics).toMatch(/seam_webhook_deliveries_total\{outcome="rate_limited_429"\} 4\b/);
      expect(metrics).toMatch(
        /seam_webhook_deliveries_total\{outcome="unauthenticated_429"\} 45\b/,
      );
      expect(metrics).toMatch(/seam_webhook_deliveries_total\{outcome="rejected_401"\} 5\b/);
      figures.webhook = { signed_limit: 10, failure_limit: 5, forged, signed: answers };
    });

    it('with TRUST_PROXY naming the balancer, failures count per forwarded client, and never against the token', async () => {
      const r = await start({
        API_RATE_LIMIT: '1000',
        AUTH_FAILURE_RATE_LIMIT: '3',
        TRUST_PROXY: 'loopback',
      });
      const ask = async (client: string, token: string) => {
        const res = await fetch(`${r.url}/v1/guest-codes/gc_${crypto.randomUUID()}`, {
          headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client },
        });
        await res.arrayBuffer();
        return res.status;
      };
      const a = [];
      for (let i = 0; i < 5; i++) a.push(await ask('203.0.113.7', 'wrong'));
      expect(a).toEqual([401, 401, 401, 429, 429]);
      expect(await ask('203.0.113.8', 'wrong')).toBe(401);
      // A client cannot pose as another by prepending addresses: the balancer appends the
      // real one, and that is what counts.
      expect(await ask('203.0.113.99, 203.0.113.7', 'wrong')).toBe(429);
      // The token holder behind the same address is not limited by those failures.
      expect(await ask('203.0.113.7', TOKEN)).toBe(404);
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
