/**
 * Reliability: Redis restarted in the middle of 5,000 webhook deliveries.
 *
 * An ingress process and a worker process on a private redis-server (AOF, noeviction, 256 MB
 * cap). A Svix-like sender posts 5,000 authentic deliveries, 16 at a time, and re-sends any
 * non-2xx or broken answer with the same svix-id. After 2,000 acknowledgements Redis is
 * stopped, kept down for a second and started again. End state: every delivery acknowledged,
 * each with exactly one job in the events queue, all of them completed (nothing acknowledged
 * and then lost, nothing queued twice); the only 5xx is 503; Redis memory stayed bounded;
 * no secret or PIN in any log line.
 */
import { randomUUID } from 'node:crypto';
import { freePort, removeDir, startPrivateRedis, type PrivateRedis } from '../../devkit/redis';
import { newWebhookSecret } from '../../devkit/svix';
import {
  LogWatch,
  inboxView,
  recordFigures,
  redisMemory,
  sendWithSvixRetries,
  sleep,
  startProcess,
  stopProcess,
  untilInboxDrained,
  type ManagedProcess,
} from './support';

jest.setTimeout(180_000);

const DELIVERIES = 5000;
const RESTART_AFTER = 2000;
const OUTAGE_MS = 1000;
// The example event carries this PIN (as Seam's do, in `code`): it must reach no log line.
const PAYLOAD_PIN = '482913';

describe('Redis restarted during 5,000 deliveries sent with Svix retries', () => {
  let redis: PrivateRedis;
  let ingress: ManagedProcess | undefined;
  let worker: ManagedProcess | undefined;
  const watch = new LogWatch();
  const secret = newWebhookSecret();
  const apiToken = `rel-token-${randomUUID()}`;
  const apiKey = `seam_rel_${randomUUID().replace(/-/g, '')}`;
  const prefix = `rel${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    redis = await startPrivateRedis({ appendonly: true, maxmemory: '256mb' });
    watch.addSecret('webhook secret', secret);
    watch.addSecret('API token', apiToken);
    watch.addSecret('Seam API key', apiKey);
    const env = {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'info',
      SEAM_WEBHOOK_SECRET: secret,
      API_TOKEN: apiToken,
      SEAM_API_KEY: apiKey,
      SEAM_ENDPOINT: 'http://127.0.0.1:9',
      RECONCILE_SWEEP_INTERVAL_MS: '600000',
      WORKER_STALLED_INTERVAL_MS: '5000',
      // The sender is one client IP: its 5,000 deliveries in seconds must not be rate limited.
      WEBHOOK_RATE_LIMIT: '0',
      // A worker needs a channel; no code is ever set here (Seam is unreachable), none is used.
      NOTIFY_WEBHOOK_URL: 'http://127.0.0.1:9/guest-codes',
      NOTIFY_WEBHOOK_SECRET: newWebhookSecret(),
    };
    [ingress, worker] = await Promise.all([
      startProcess('ingress', 'ingress', env, await freePort(), watch),
      startProcess('worker', 'worker', env, await freePort(), watch),
    ]);
  });

  afterAll(async () => {
    const exits = await Promise.all([stopProcess(ingress), stopProcess(worker)]);
    await redis?.stop();
    if (redis) removeDir(redis.dir);
    expect(watch.leaks([PAYLOAD_PIN])).toEqual([]);
    expect(exits).toEqual([0, 0]);
  });

  it('acknowledges every delivery, queues each exactly once, loses none', async () => {
    const url = `http://127.0.0.1:${ingress!.port}`;
    const before = await redisMemory(redis.url);
    let restart: Promise<void> | undefined;
    let restartedAt = 0;
    let firstAckAfterRestart = 0;
    const startedAt = Date.now();

    const { records, stats } = await sendWithSvixRetries({
      secret,
      count: DELIVERIES,
      concurrency: 16,
      target: () => url,
      deadlineMs: 150_000,
      onAck: (acked) => {
        if (acked === RESTART_AFTER && !restart) {
          restart = (async () => {
            await redis.stop();
            await sleep(OUTAGE_MS);
            await redis.start();
            restartedAt = Date.now();
          })();
        } else if (restartedAt > 0 && firstAckAfterRestart === 0) {
          firstAckAfterRestart = Date.now();
        }
      },
    });
    await restart;
    const sendMs = Date.now() - startedAt;

    // Every delivery was acknowledged in the end (Svix would have kept retrying).
    expect(stats.acknowledged).toBe(DELIVERIES);
    expect(records.filter((r) => !r.acknowledged)).toEqual([]);
    // The outage was seen (otherwise this test proved nothing), and only as 503 or a refusal.
    expect((stats.byStatus['503'] ?? 0) + stats.connectionErrors).toBeGreaterThan(0);
    const otherErrors = Object.keys(stats.byStatus).filter(
      (s) => s !== '200' && s !== '503' && s !== '0',
    );
    expect(otherErrors).toEqual([]);

    await untilInboxDrained(redis.url, prefix, 90_000);
    const view = await inboxView(redis.url, prefix);
    const missing = records.filter((r) => !view.byDelivery.has(r.id)).map((r) => r.id);
    const twice = [...view.byDelivery].filter(([, states]) => states.length !== 1);
    const notCompleted = [...view.byDelivery].filter(([, [state]]) => state !== 'completed');
    const sent = new Set(records.map((r) => r.id));
    const strangers = [...view.byDelivery.keys()].filter((id) => !sent.has(id));
    expect(missing).toEqual([]);
    expect(twice).toEqual([]);
    expect(notCompleted).toEqual([]);
    expect(strangers).toEqual([]);
    expect(view.failedReasons).toEqual([]);

    // Bounded memory: retention trims jobs, dedupe keys are small. Far below the 256 MB cap.
    const after = await redisMemory(redis.url);
    expect(after.peak).toBeLessThan(128 * 1024 * 1024);

    recordFigures('redis-restart', {
      deliveries: DELIVERIES,
      acknowledged: stats.acknowledged,
      attempts: stats.attempts,
      retries: stats.retries,
      answers_by_status: stats.byStatus,
      redis_outage_ms: OUTAGE_MS,
      first_ack_after_redis_start_ms: firstAckAfterRestart - restartedAt,
      send_duration_ms: sendMs,
      jobs_queued: view.byDelivery.size,
      jobs_completed: view.counts.completed,
      jobs_run_more_than_once: view.reruns,
      lost: missing.length,
      duplicates: twice.length,
      redis_used_memory_before_bytes: before.used,
      redis_used_memory_peak_bytes: after.peak,
    });
  });
});
