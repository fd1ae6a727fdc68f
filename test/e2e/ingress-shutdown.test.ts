import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { QUEUES } from '../../src/queues/catalog';
import { spawnService } from '../helpers/processes';
import { freePort } from '../../devkit/redis';
import { testRedisUrl } from '../helpers/service';
import { accessCodeEvent, newWebhookSecret, postDelivery, signDelivery } from '../../devkit/svix';

describe('the ingress process under SIGTERM', () => {
  it('finishes in-flight deliveries, keeps every acknowledged one, and exits 0', async () => {
    const secret = newWebhookSecret();
    const prefix = `e2e${randomUUID().slice(0, 8)}`;
    const port = await freePort();
    const proc = spawnService('ingress', {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      SEAM_WEBHOOK_SECRET: secret,
      API_TOKEN: 'e2e-token-0123456789abcdef-0123456789',
      SEAM_API_KEY: 'seam_e2e_unused',
      SEAM_ENDPOINT: 'http://127.0.0.1:9',
      SHUTDOWN_DRAIN_MS: '300',
      LOG_LEVEL: 'info',
    });
    await proc.waitForLog(/"msg":"started"/);
    const url = `http://127.0.0.1:${port}`;

    const acknowledged: string[] = [];
    const refused: number[] = [];
    let stop = false;
    const sender = async () => {
      while (!stop) {
        const d = signDelivery(secret, accessCodeEvent());
        try {
          const res = await postDelivery(url, d);
          if (res.status >= 200 && res.status < 300) acknowledged.push(d.id);
          else refused.push(res.status);
        } catch {
          return; // the listener has closed: Svix would retry later
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    while (acknowledged.length < 100) await new Promise((r) => setTimeout(r, 10));
    proc.child.kill('SIGTERM');
    const code = await proc.exited;
    stop = true;
    await Promise.all(senders);

    expect(code).toBe(0);
    expect(refused.filter((s) => s >= 500 && s !== 503)).toEqual([]);
    const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUES.events, { connection: redis, prefix });
    const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed']);
    const queued = new Set(jobs.map((j) => j.data.delivery_id as string));
    expect(acknowledged.filter((id) => !queued.has(id))).toEqual([]);
    expect(queued.size).toBe(acknowledged.length);
    await queue.close();
    redis.disconnect();
  }, 60_000);
});
