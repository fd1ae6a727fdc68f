/**
 * A deployment for the process-level reliability cases: a private redis-server, the Seam
 * simulator, a real SMTP server and a receiver for the outbound webhook, and the environment
 * the service processes share. The end-state checks read the simulator, the mailbox, the
 * receiver and the records.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sim/simulator';
import type { GuestCode } from '../../src/domain/guest-code';
import { GuestCodeStore } from '../../src/store/guest-codes';
import { startSmtpServer, type TestSmtpServer } from '../../devkit/smtp';
import { startReceiver, type Receiver } from '../../devkit/webhook-receiver';
import { hourlyWindow } from '../helpers/stack';
import {
  removeDir,
  startPrivateRedis,
  type PrivateRedis,
  type PrivateRedisOptions,
} from '../../devkit/redis';
import { startSentinelGroup, type SentinelGroup } from '../../devkit/sentinel';
import { newWebhookSecret } from '../../devkit/svix';
import { LogWatch, sleep } from './support';

export interface Deployment {
  /** The one redis-server; with `sentinel`, the group's first primary. */
  redis: PrivateRedis;
  /** With `sentinel`: the primary, its replicas and the sentinels the processes follow. */
  group?: SentinelGroup;
  sim: Simulator;
  smtp: TestSmtpServer;
  receiver: Receiver;
  prefix: string;
  apiToken: string;
  env: Record<string, string>;
  watch: LogWatch;
  store: GuestCodeStore;
  /** POST /v1/guest-codes through `base`, re-tried on 5xx or a broken connection like a
   *  careful booking system would (the reference makes it idempotent). */
  book(base: () => string | undefined, n: number): Promise<{ id: string; answers: number[] }>;
  /** Waits until every id is `notified` or `failed`; returns the records. */
  settle(ids: string[], timeoutMs: number): Promise<GuestCode[]>;
  /** Per guest code (booking `n`): Seam codes created, emails, outbound webhooks received
   *  (all, and distinct webhook ids: the booking system dedupes on those). */
  deliveredTo(
    id: string,
    n: number,
  ): { seamCodes: number; emails: number; webhooks: number; webhookIds: number };
  /** One key's value in the deployment's Redis. */
  redisValue(key: string): Promise<string | null>;
  /** Every PIN the simulator handed out. */
  pins(): string[];
  close(): Promise<void>;
}

export async function startDeployment(opts: {
  redis?: PrivateRedisOptions;
  /** A primary, two replicas and three sentinels instead of one server (REDIS_SENTINELS):
   *  after a failover one replica is left, so REDIS_MIN_REPLICAS_ACK=1 is met at once. */
  sentinel?: boolean;
  sim?: SimulatorOptions;
  env?: Record<string, string>;
}): Promise<Deployment> {
  const group = opts.sentinel
    ? await startSentinelGroup({ replicas: 2, sentinels: 3, downAfterMs: 1000 })
    : undefined;
  if (group) await group.untilSettled(20_000);
  const redis = group ? group.servers[0]! : await startPrivateRedis(opts.redis);
  const sim = await startSimulator({ settingAfterMs: 100, setAfterMs: 400, ...opts.sim });
  const smtp = await startSmtpServer();
  const notifySecret = newWebhookSecret();
  const receiver = await startReceiver(notifySecret);
  const prefix = `rel${randomUUID().slice(0, 8)}`;
  const apiToken = `rel-token-${randomUUID()}`;
  const watch = new LogWatch();
  watch.addSecret('Seam webhook secret', sim.webhookSecret);
  watch.addSecret('Seam API key', sim.apiKey);
  watch.addSecret('API token', apiToken);
  watch.addSecret('notify webhook secret', notifySecret);
  const env = {
    REDIS_URL: redis.url,
    ...(group ? { REDIS_SENTINELS: group.sentinelsEnv, REDIS_SENTINEL_NAME: group.name } : {}),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    SEAM_WEBHOOK_SECRET: sim.webhookSecret,
    SEAM_API_KEY: sim.apiKey,
    SEAM_ENDPOINT: sim.url,
    API_TOKEN: apiToken,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Door codes <codes@example.com>',
    NOTIFY_WEBHOOK_URL: receiver.url,
    NOTIFY_WEBHOOK_SECRET: notifySecret,
    SEAM_RETRY_BASE_MS: '50',
    SEAM_RETRY_MAX_MS: '500',
    DEVICE_CACHE_TTL_MS: '0',
    DEVICE_CREATE_LIMIT_PER_MINUTE: '1000',
    RECONCILE_SWEEP_INTERVAL_MS: '1000',
    // A quick takeover after a crash. On a busy test machine a lock renewal is sometimes late
    // and the job runs twice, which every processor tolerates (the worker allows many stalls).
    WORKER_STALLED_INTERVAL_MS: '1000',
    NOTIFY_CLAIM_LEASE_MS: '5000',
    WEBHOOK_RATE_LIMIT: '0',
    API_RATE_LIMIT: '0',
    ...opts.env,
  };
  // The test's own reads follow the master, as the processes do.
  const conn = group
    ? new Redis({
        sentinels: group.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
        name: group.name,
        maxRetriesPerRequest: null,
      })
    : new Redis(redis.url, { maxRetriesPerRequest: null });
  conn.on('error', () => undefined);
  const store = new GuestCodeStore(conn, prefix);
  const devices = [...sim.devices.igloohome];

  const simCodesFor = (id: string) =>
    sim.accessCodes().filter((c) => typeof c.name === 'string' && c.name.includes(`[gc:${id}:`));

  return {
    redis,
    ...(group ? { group } : {}),
    sim,
    smtp,
    receiver,
    prefix,
    apiToken,
    env,
    watch,
    store,
    book: async (base, n) => {
      const body = JSON.stringify({
        device_id: devices[n % devices.length],
        guest: { name: `Guest ${n}`, email: `guest-${n}@example.com` },
        ...hourlyWindow(2 + n, 24),
        reference: `rel-${prefix}-${n}`,
      });
      const answers: number[] = [];
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const url = base();
        if (!url) {
          await sleep(50);
          continue;
        }
        try {
          const res = await fetch(`${url}/v1/guest-codes`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
            body,
            signal: AbortSignal.timeout(10_000),
          });
          answers.push(res.status);
          const json = (await res.json()) as { guest_code?: { id: string } };
          if (res.status === 200 || res.status === 202) return { id: json.guest_code!.id, answers };
          if (res.status < 500)
            throw new Error(`booking ${n}: ${res.status} ${JSON.stringify(json)}`);
        } catch (err) {
          if (err instanceof Error && err.message.startsWith('booking')) throw err;
          answers.push(0);
        }
        await sleep(200);
      }
      throw new Error(`booking ${n} never accepted: ${answers.join(',')}`);
    },
    settle: async (ids, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const records = await Promise.all(ids.map((id) => store.get(id).catch(() => undefined)));
        if (records.every((r) => r && (r.status === 'notified' || r.status === 'failed'))) {
          return records as GuestCode[];
        }
        if (Date.now() > deadline) {
          const open = records.map((r, i) => `${ids[i]}: ${r?.status ?? '?'}`);
          throw new Error(`guest codes not settled: ${open.join(', ')}`);
        }
        await sleep(250);
      }
    },
    deliveredTo: (id, n) => {
      const hooks = receiver.received.filter((r) => {
        const e = r.event as { type?: string; data?: { guest_code_id?: string } } | null;
        return e?.data?.guest_code_id === id && e.type !== 'guest_code.failed';
      });
      return {
        seamCodes: simCodesFor(id).length,
        emails: smtp.messages.filter((m) => m.rcptTo.includes(`guest-${n}@example.com`)).length,
        webhooks: hooks.length,
        webhookIds: new Set(hooks.map((h) => h.headers['webhook-id'] ?? h.headers['svix-id'])).size,
      };
    },
    redisValue: (key) => conn.get(key),
    pins: () =>
      sim
        .accessCodes()
        .map((c) => c.code)
        .filter((c): c is string => typeof c === 'string'),
    close: async () => {
      sim.setWebhookUrl(null);
      await sim.close();
      await smtp.close();
      await receiver.close();
      conn.disconnect();
      if (group) {
        await group.close();
      } else {
        await redis.stop();
        removeDir(redis.dir);
      }
    },
  };
}
