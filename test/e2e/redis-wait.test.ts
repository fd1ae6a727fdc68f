/**
 * Starting without Redis (issue 16, item 9): one clear line per interval, "waiting for Redis at
 * host:port (no password)", instead of an error per reconnect attempt and per queue; then one
 * line when Redis comes, and the process carries on. Spawned as deployed, against a stopped
 * private redis-server (its port closed), which is then started.
 */
import { startPrivateRedis, type PrivateRedis } from '../../devkit/redis';
import { newWebhookSecret } from '../../devkit/svix';
import { spawnService, type ServiceProcess } from '../helpers/processes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('starting without Redis', () => {
  let redis: PrivateRedis;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    await redis.stop();
  });
  afterAll(async () => {
    for (const p of running) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
    await redis.stop().catch(() => undefined);
  });

  it.each(['worker', 'ingress'] as const)(
    '%s: one waiting line per 5 s while the port is closed, then carries on when Redis comes',
    async (role) => {
      const proc = spawnService(role, {
        REDIS_URL: redis.url,
        QUEUE_PREFIX: `wait${role}`,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        SEAM_API_KEY: 'seam_test_key_redis_wait',
        SEAM_ENDPOINT: 'http://127.0.0.1:9',
        API_TOKEN: 'token-0123456789abcdef-0123456789abcdef',
        SEAM_WEBHOOK_SECRET: newWebhookSecret(),
        NOTIFY_WEBHOOK_URL: 'http://127.0.0.1:9/codes',
        NOTIFY_WEBHOOK_SECRET: newWebhookSecret(),
      });
      running.push(proc);
      await proc.waitForLog(/waiting for Redis/);
      await sleep(6500);
      const waiting = proc.output.filter((l) => l.includes('waiting for Redis'));
      // About 7 s: a line at once and one 5 s later (a loaded machine may shift one out).
      expect(waiting.length).toBeGreaterThanOrEqual(1);
      expect(waiting.length).toBeLessThanOrEqual(3);
      const msg = JSON.parse(waiting[0]!).msg as string;
      expect(msg).toBe(
        `waiting for Redis at 127.0.0.1:${redis.port} (no password): connect ECONNREFUSED 127.0.0.1:${redis.port}`,
      );
      // Nothing else complains: no error per attempt or per queue.
      const complaints = proc.output.filter(
        (l) => !l.includes('waiting for Redis') && /"level":(40|50|60)|ECONNREFUSED/.test(l),
      );
      expect(complaints).toEqual([]);

      await redis.start();
      await proc.waitForLog(/Redis is reachable at 127\.0\.0\.1/);
      await proc.waitForLog(role === 'worker' ? /workers started/ : /ingress listening/);
      await redis.stop();
    },
    40_000,
  );
});
