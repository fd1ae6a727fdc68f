import { startService, type RunningService } from '../../app/service';
import { redisTarget, type Config } from '../../src/config';
import { createWorkerConnection, waitUntilReady } from '../../src/redis/connections';
import { GuestCodeStore } from '../../src/store/guest-codes';
import { Redis } from 'ioredis';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sim/simulator';
import {
  startSmtpServer,
  type TestSmtpServer,
  type TestSmtpServerOptions,
} from '../../devkit/smtp';
import { startReceiver, type Receiver } from '../../devkit/webhook-receiver';
import { newWebhookSecret } from '../../devkit/svix';
import { LogSink, testConfig } from './service';

export const API_TOKEN = 'test-api-token-0123456789abcdef-0123456789';
/** The queue dashboard's own credential (never the booking system's token). */
export const ADMIN_TOKEN = 'test-admin-token-fedcba9876543210-9876543210';

/**
 * The whole service in this process (ingress + workers) against the Seam simulator, with a real
 * SMTP server and a real HTTP receiver for the outbound webhook. Each stack has its own key
 * prefix on the test Redis.
 */
export interface Stack {
  sim: Simulator;
  service: RunningService;
  url: string;
  config: Config;
  smtp: TestSmtpServer;
  notifyReceiver: Receiver;
  notifySecret: string;
  store: GuestCodeStore;
  redis: Redis;
  logs: LogSink;
  api(
    path: string,
    init?: { method?: string; body?: unknown; token?: string },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startStack(
  opts: { sim?: SimulatorOptions; env?: Record<string, string>; smtp?: TestSmtpServerOptions } = {},
): Promise<Stack> {
  const sim = await startSimulator({ ...opts.sim });
  const smtp = await startSmtpServer(opts.smtp);
  const notifySecret = newWebhookSecret();
  const notifyReceiver = await startReceiver(notifySecret);
  const logs = new LogSink('debug');
  const config = testConfig({
    SEAM_WEBHOOK_SECRET: sim.webhookSecret,
    SEAM_API_KEY: sim.apiKey,
    SEAM_ENDPOINT: sim.url,
    API_TOKEN,
    ADMIN_TOKEN,
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: 'Door codes <codes@example.com>',
    NOTIFY_WEBHOOK_URL: notifyReceiver.url,
    NOTIFY_WEBHOOK_SECRET: notifySecret,
    SEAM_RETRY_BASE_MS: '50',
    SEAM_RETRY_MAX_MS: '500',
    RECONCILE_SWEEP_INTERVAL_MS: '60000',
    DEVICE_CACHE_TTL_MS: '0',
    ...opts.env,
  });
  const service = await startService(['ingress', 'worker'], config, logs.logger);
  const url = `http://127.0.0.1:${service.port}`;
  sim.setWebhookUrl(`${url}/webhooks/seam`);
  // What the test reads and writes directly, on the same topology as the service.
  const target = redisTarget(config);
  const redis =
    target.kind === 'single'
      ? new Redis(config.REDIS_URL)
      : createWorkerConnection({ target, commandTimeoutMs: 5000 }, 'test');
  await waitUntilReady(redis, 5000);
  const store = new GuestCodeStore(redis, config.QUEUE_PREFIX);
  return {
    sim,
    service,
    url,
    config,
    smtp,
    notifyReceiver,
    notifySecret,
    store,
    redis,
    logs,
    api: async (path, init = {}) => {
      const res = await fetch(`${url}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          authorization: `Bearer ${init.token ?? API_TOKEN}`,
          'content-type': 'application/json',
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    close: async () => {
      sim.setWebhookUrl(null);
      for (const step of service.shutdownSteps()) await step.run();
      await sim.close();
      await smtp.close();
      await notifyReceiver.close();
      redis.disconnect();
    },
  };
}

/** An hour-aligned window `startInHours` from now, `hours` long, as ISO strings. */
export function hourlyWindow(
  startInHours: number,
  hours: number,
): { starts_at: string; ends_at: string } {
  const start = new Date(Date.now() + startInHours * 3600_000);
  start.setUTCMinutes(0, 0, 0);
  const end = new Date(start.getTime() + hours * 3600_000);
  return { starts_at: start.toISOString(), ends_at: end.toISOString() };
}
