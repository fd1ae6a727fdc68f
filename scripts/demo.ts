/**
 * The whole flow on one machine, no Seam account, no internet:  npm run demo
 *
 * Starts a private Redis (redis-server on the PATH, its own port and temp dir; or, when
 * REDIS_URL is set, that Redis under a unique key prefix, never flushed), the Seam simulator
 * (codes advance on an accelerated clock; every webhook is delivered twice to show dedupe),
 * an SMTP catcher, an HTTP receiver for the service's outbound webhook, and the service itself
 * (ingress + workers, in this process, logging to a file). Then it asks for guest codes through
 * the real HTTP API, shows their statuses live, prints each guest's email as it arrives, and
 * ends with a summary. Exit 0 only when every expected outcome happened.
 *
 * The PINs printed here are the demo's output (what the guests received), not log lines: the
 * service's own log (path printed at the end) never contains them.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { startService } from '../app/service';
import { NoRedisError, removeDir, startPrivateRedis } from '../devkit/redis';
import { startSmtpServer } from '../devkit/smtp';
import { newWebhookSecret } from '../devkit/svix';
import { startReceiver } from '../devkit/webhook-receiver';
import { loadConfig } from '../src/config';
import { REDACT_PATHS } from '../src/logger';
import { ResourceStack } from '../src/process/resource-stack';
import { startSimulator } from '../sim/simulator';
import { extendStay } from './demo/change';
import { twoDoorStay } from './demo/doors';
import { checkOutcomes, printSummary } from './demo/report';
import { followCodes, requestCodes, type Api } from './demo/bookings';
import type { ApiBody, Tracked } from './demo/scenarios';
import { c, say, section } from './demo/terminal';

const HARD_TIMEOUT_MS = 55_000;
/** How long the codes get to reach a final status once requested. */
const SETTLE_TIMEOUT_MS = 30_000;
const API_TOKEN = `demo-${randomBytes(16).toString('hex')}`;

/** Undone last first, on success, failure, timeout and Ctrl-C. */
const resources = new ResourceStack();

/** A Redis for the demo: REDIS_URL under a unique prefix (its keys removed after), or a private one. */
async function demoRedis(prefix: string): Promise<string> {
  const url = process.env.REDIS_URL?.trim();
  if (url) {
    say(`Redis: REDIS_URL=${url.replace(/\/\/[^@/]*@/, '//***@')} (key prefix ${prefix})`);
    resources.defer('demo keys', async () => {
      // Only this run's keys; the rest of that Redis is never touched.
      const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await r.connect();
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await r.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
    });
    return url;
  }
  const redis = await startPrivateRedis();
  resources.defer('redis temp dir', () => removeDir(redis.dir));
  resources.defer('redis-server', () => redis.stop());
  say(`Redis: private redis-server at ${redis.url} (temp dir, removed at the end)`);
  return redis.url;
}

async function main(): Promise<number> {
  console.log(c.bold('Seam offline door codes: demo (simulated Seam, local Redis, local mail)'));
  section('Starting');
  const prefix = `demo-${randomBytes(4).toString('hex')}`;
  const redisUrl = await demoRedis(prefix);

  const sim = await startSimulator({
    autoAdvance: true,
    settingAfterMs: 400,
    setAfterMs: 1200,
    faults: { duplicateDeliveries: 2 },
  });
  resources.defer('simulator', () => sim.close());
  resources.defer('simulator webhooks off', () => sim.setWebhookUrl(null));
  say(`Seam simulator at ${sim.url} (fault on: every webhook delivered twice)`);

  const byEmail = new Map<string, Tracked>();
  const smtp = await startSmtpServer({
    onMessage: (mail) => {
      const ref = mail.rcptTo.map((to) => byEmail.get(to)?.scenario.reference).find(Boolean);
      say(`${c.bold('Email received')} for ${mail.rcptTo.join(', ')}${ref ? ` (${ref})` : ''}`);
      console.log(c.dim('    ┌────────────────────────────────────────────────────────────'));
      console.log(`    │ ${c.bold('Subject:')} ${mail.subject}`);
      for (const line of (mail.text ?? '').trimEnd().split('\n')) console.log(`    │ ${line}`);
      console.log(c.dim('    └────────────────────────────────────────────────────────────'));
    },
  });
  resources.defer('smtp catcher', () => smtp.close());
  say(`SMTP catcher on 127.0.0.1:${smtp.port}`);

  const notifySecret = newWebhookSecret();
  const receiver = await startReceiver(notifySecret, { path: '/hooks/door-codes' });
  resources.defer('webhook receiver', () => receiver.close());
  say(`Outbound webhook receiver at ${receiver.url}`);

  const logFile = path.join(os.tmpdir(), `seam-demo-${process.pid}-${Date.now()}.log`);
  const logger = pino(
    { level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination({ dest: logFile, sync: true }),
  );
  const config = loadConfig(
    {
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'debug',
      SEAM_WEBHOOK_SECRET: sim.webhookSecret,
      SEAM_API_KEY: sim.apiKey,
      SEAM_ENDPOINT: sim.url,
      API_TOKEN,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Door codes <codes@example.com>',
      NOTIFY_WEBHOOK_URL: receiver.url,
      NOTIFY_WEBHOOK_SECRET: notifySecret,
      SEAM_RETRY_BASE_MS: '100',
      SEAM_RETRY_MAX_MS: '1000',
      SHUTDOWN_DRAIN_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '10000',
    },
    ['ingress', 'worker'],
  );
  const service = await startService(['ingress', 'worker'], config, logger);
  resources.defer('service', async () => {
    service.lifecycle.shuttingDown = true;
    for (const step of service.shutdownSteps()) {
      await step.run().catch((err) => console.error(`shutdown step ${step.name}: ${String(err)}`));
    }
  });
  const base = `http://127.0.0.1:${service.port}`;
  sim.setWebhookUrl(`${base}/webhooks/seam`);
  say(`Service (ingress + workers) at ${base}; its log: ${logFile}`);

  const api: Api = async (p, body, method) => {
    const res = await fetch(`${base}${p}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as ApiBody };
  };

  const tracked = await requestCodes(api, sim, byEmail);
  await followCodes(api, tracked, SETTLE_TIMEOUT_MS);

  // Let late or duplicate sends surface before counting them.
  await sim.webhooksIdle(3000);
  await new Promise((r) => setTimeout(r, 500));

  const metrics = await fetch(`${base}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const observed = {
    tracked,
    sim,
    mails: smtp.messages,
    webhooks: receiver.received,
    logFile,
    metrics,
  };
  const { failures, rows } = checkOutcomes(observed);
  printSummary(observed, rows);
  // After the summary, so its counts are the bookings' own: BK-1001 stays a night longer.
  failures.push(
    ...(await extendStay(api, tracked, {
      sim,
      mails: smtp.messages,
      webhooks: receiver.received,
      timeoutMs: SETTLE_TIMEOUT_MS,
    })),
  );
  // And one stay with two doors: one email with both PINs.
  failures.push(
    ...(await twoDoorStay(api, {
      sim,
      mails: smtp.messages,
      webhooks: receiver.received,
      timeoutMs: SETTLE_TIMEOUT_MS,
    })),
  );
  if (failures.length > 0) {
    console.log(`\n${c.red(c.bold('DEMO FAILED'))}`);
    for (const f of failures) console.log(c.red(`  - ${f}`));
    return 1;
  }
  console.log(
    `\n${c.green(c.bold('DEMO OK'))}: 4 guests notified (one email and one signed webhook each, ` +
      `PINs matching Seam's), 1 stay extended (a new code, one more email), ` +
      `1 stay with two doors (one email with both PINs), ` +
      `1 request rejected by the igloohome rules.`,
  );
  return 0;
}

/** Cleans up (bounded: a release that hangs must not keep the demo alive), then exits. */
async function finish(code: number): Promise<never> {
  const guard = setTimeout(() => {
    console.error('cleanup took too long; exiting anyway');
    process.exit(code === 0 ? 1 : code);
  }, 15_000);
  guard.unref();
  await resources.close((name, err) =>
    console.error(`cleanup: ${name}: ${err instanceof Error ? err.message : String(err)}`),
  );
  process.exit(code);
}

const hardTimeout = setTimeout(() => {
  console.error(c.red(`\nDEMO FAILED: not done within ${HARD_TIMEOUT_MS / 1000} s`));
  void finish(1);
}, HARD_TIMEOUT_MS);
hardTimeout.unref();

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping and cleaning up`);
    void finish(signal === 'SIGINT' ? 130 : 143);
  });
}

main().then(
  (code) => finish(code),
  (err: unknown) => {
    // After Ctrl-C, requests fail because everything is being stopped: not worth a report.
    if (interrupted) return finish(130);
    if (err instanceof NoRedisError) {
      console.error(
        c.red('The demo needs Redis: no redis-server on the PATH and REDIS_URL is not set.\n') +
          '  Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),\n' +
          '  or point the demo at a Redis you have: REDIS_URL=redis://127.0.0.1:6379 npm run demo\n' +
          '  (it then uses a unique key prefix there and never flushes anything).',
      );
      return finish(1);
    }
    console.error(
      c.red(`\nDEMO FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    );
    return finish(1);
  },
);
