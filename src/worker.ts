import { setTimeout as delay } from 'node:timers/promises';
import { Queue, Worker, type Processor } from 'bullmq';
import type { Config } from './config';
import type { GuestCode } from './domain/guest-code';
import { channelsFor, type NotifyDeps } from './flows/notify-guest';
import type { ReconcileDeps } from './flows/reconcile';
import type { ReadinessCheck } from './http/health-routes';
import type { Logger } from './logger';
import { observeJobs } from './observability/jobs';
import type { Metrics } from './observability/metrics';
import { createEmailSender } from './notify/email';
import { createWebhookSender } from './notify/outbound-webhook';
import type { ShutdownStep } from './process/shutdown';
import { QUEUES } from './queues/names';
import { FAILED_JOB_RETENTION_SECONDS } from './queues/options';
import { WorkQueues } from './queues/producers';
import { closeConnection, createWorkerConnection } from './redis/connections';
import { createSeamGateway } from './seam/client';
import { AccessCodeFreshness } from './store/access-code-freshness';
import { GuestCodeStore } from './store/guest-codes';
import { IgnoredEvents } from './store/ignored-events';
import { LockCodeRegistry } from './store/lock-codes';
import { storeKeys } from './store/keys';
import { NotificationClaims } from './store/notification-claims';
import { DeviceRateLimiter } from './store/rate-limiter';
import { withTimeout } from './util/timeout';
import {
  createProcessor,
  notifyProcessor,
  reconcileProcessor,
  seamBackoff,
  seamEventProcessor,
  sweepProcessor,
} from '../workers/processors';

/** How many times a job may lose its lock (its worker died or stalled) and still be re-run. */
const STALLS_BEFORE_FAILING = 10;

export interface Workers {
  workers: Worker[];
  queues: WorkQueues;
  store: GuestCodeStore;
  readiness: Record<string, ReadinessCheck>;
  shutdownSteps(): ShutdownStep[];
}

/** Starts every BullMQ worker of the service, wired to its flows. */
export async function startWorkers(opts: {
  config: Config;
  logger: Logger;
  metrics: Metrics;
}): Promise<Workers> {
  const { config, logger } = opts;
  if (!config.SEAM_API_KEY) throw new Error('SEAM_API_KEY is required');
  const settings = { url: config.REDIS_URL, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS };
  const redis = createWorkerConnection(settings, 'worker');
  redis.on('error', (err) => logger.debug({ err: err.message }, 'worker redis error'));
  const prefix = config.QUEUE_PREFIX;
  const keys = storeKeys(prefix);
  const now = () => new Date();

  const seam = createSeamGateway({
    apiKey: config.SEAM_API_KEY,
    endpoint: config.SEAM_ENDPOINT,
    timeoutMs: config.SEAM_TIMEOUT_MS,
    observe: opts.metrics.observeSeamCall,
  });
  const store = new GuestCodeStore(redis, prefix, { retentionMs: config.RECORD_RETENTION_MS });
  const queues = new WorkQueues(
    redis,
    prefix,
    config.CREATE_MAX_ATTEMPTS,
    config.RECONCILE_COALESCE_MS,
  );
  const sweepQueue = new Queue(QUEUES.sweep, { connection: redis, prefix });
  sweepQueue.on('error', () => undefined);

  const email =
    config.SMTP_URL && config.MAIL_FROM
      ? createEmailSender({
          smtpUrl: config.SMTP_URL,
          from: config.MAIL_FROM,
          ...(config.MAIL_REPLY_TO ? { replyTo: config.MAIL_REPLY_TO } : {}),
          // Default: STARTTLS required unless the relay is on this machine.
          ...(config.NOTIFY_ALLOW_CLEARTEXT ? { requireTls: false } : {}),
        })
      : undefined;
  const webhook =
    config.NOTIFY_WEBHOOK_URL && config.NOTIFY_WEBHOOK_SECRET
      ? createWebhookSender({
          url: config.NOTIFY_WEBHOOK_URL,
          secret: config.NOTIFY_WEBHOOK_SECRET,
          allowCleartext: config.NOTIFY_ALLOW_CLEARTEXT,
        })
      : undefined;
  const channels = (gc: GuestCode) => channelsFor(gc, { email: !!email, webhook: !!webhook });

  const reconcileDeps: ReconcileDeps = {
    store,
    seam,
    queues,
    ignored: new IgnoredEvents(redis, keys.ignoredEvents),
    freshness: new AccessCodeFreshness(redis, keys.accessCodeFreshness),
    onReplaced: (kind) => opts.metrics.observeReplacement(kind),
    channelsFor: channels,
    policy: {
      replaceAfterMs: config.REPLACE_AFTER_MS,
      notSetGraceMs: config.NOT_SET_GRACE_MS,
      maxReplacements: config.MAX_REPLACEMENTS,
    },
    now,
    logger,
  };
  const notifyDeps: NotifyDeps = {
    store,
    seam,
    // A sent mark outlives the failed jobs that could retry the send (a day of margin).
    claims: new NotificationClaims(
      redis,
      config.NOTIFY_CLAIM_LEASE_MS,
      (FAILED_JOB_RETENTION_SECONDS + 24 * 3600) * 1000,
    ),
    claimKey: keys.notifyClaim,
    message: {
      defaultLocale: config.DEFAULT_GUEST_LOCALE,
      brand: config.BRAND_NAME,
      replyTo: !!config.MAIL_REPLY_TO,
    },
    email,
    webhook,
    now,
    logger,
    alert: (id, code, message, key) => queues.enqueueAlert(id, code, message, key),
    onNotification: (channel, outcome) => opts.metrics.observeNotification(channel, outcome),
  };
  const rateLimit = new DeviceRateLimiter(
    redis,
    keys.deviceRate,
    config.DEVICE_CREATE_LIMIT_PER_MINUTE,
    60_000,
  );

  /** Aborted when the workers start closing: a long sweep walk stops early. */
  const shutdown = new AbortController();
  const lockCodes = new LockCodeRegistry(redis, keys.lockCodes);

  const backoff = seamBackoff(config.SEAM_RETRY_BASE_MS, config.SEAM_RETRY_MAX_MS);
  const common = {
    connection: redis,
    prefix,
    settings: { backoffStrategy: backoff },
  };
  const start = (name: string, processor: Processor, concurrency: number) => {
    const worker = new Worker(name, processor, {
      ...common,
      concurrency,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      lockDuration: config.WORKER_STALLED_INTERVAL_MS,
      // BullMQ fails a job for good on its second stall (default 1), attempts left or not:
      // a crash then a busy event loop would drop an event. Every processor is safe to re-run
      // (creates adopt, notifications are claimed), so a stalled job is simply run again.
      maxStalledCount: STALLS_BEFORE_FAILING,
    });
    worker.on('error', (err) => logger.warn({ queue: name, err: err.message }, 'worker error'));
    worker.on('failed', (job, err) =>
      logger.warn(
        { queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message },
        'job failed',
      ),
    );
    observeJobs(opts.metrics, worker);
    return worker;
  };
  const c = config.WORKER_CONCURRENCY;
  const workers = [
    start(QUEUES.events, seamEventProcessor(reconcileDeps), c * 2),
    start(QUEUES.reconcile, reconcileProcessor(reconcileDeps), c),
    start(
      QUEUES.create,
      createProcessor({
        store,
        seam,
        rateLimit,
        lockCodes,
        queues,
        now,
        logger,
        alert: (id, code, message) => queues.enqueueAlert(id, code, message),
      }),
      Math.max(2, Math.ceil(c / 2)),
    ),
    start(QUEUES.notify, notifyProcessor(notifyDeps, channels), Math.max(2, Math.ceil(c / 2))),
    start(
      QUEUES.sweep,
      sweepProcessor({
        store,
        seam,
        queues,
        now,
        logger,
        // Half the interval: a walk ends well before the next tick.
        spreadMs: Math.floor(config.RECONCILE_SWEEP_INTERVAL_MS / 2),
        // A shutdown cuts the pauses short and ends the walk, instead of waiting it out.
        pause: (ms) => delay(ms, undefined, { signal: shutdown.signal }).catch(() => undefined),
        stopping: () => shutdown.signal.aborted,
        cursor: {
          get: async () => (await redis.get(keys.sweepCursor)) ?? undefined,
          set: async (since) => void (await redis.set(keys.sweepCursor, since)),
        },
      }),
      1,
    ),
  ];
  // One schedule shared by every worker process: BullMQ runs each tick once.
  await sweepQueue.upsertJobScheduler(
    'sweep',
    { every: config.RECONCILE_SWEEP_INTERVAL_MS },
    { name: 'sweep', opts: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  );
  logger.info({ queues: workers.map((w) => w.name) }, 'workers started');

  const readiness: Record<string, ReadinessCheck> = {
    redis: async () => {
      await withTimeout(redis.ping(), config.REDIS_COMMAND_TIMEOUT_MS, 'redis ping');
      return { ok: true };
    },
    workers: async () => {
      const stopped = workers.filter((w) => !w.isRunning()).map((w) => w.name);
      return stopped.length === 0
        ? { ok: true }
        : { ok: false, reason: `not running: ${stopped.join(', ')}` };
    },
  };

  return {
    workers,
    queues,
    store,
    readiness,
    shutdownSteps: () => [
      {
        name: 'workers',
        // close() waits for active jobs with no bound of its own (seam-facts): bound it.
        run: async () => {
          shutdown.abort();
          await withTimeout(
            Promise.all(workers.map((w) => w.close())),
            Math.max(1000, config.SHUTDOWN_TIMEOUT_MS - 3000),
            'closing workers',
          ).catch(async (err) => {
            logger.warn({ err: err.message }, 'workers did not finish in time; forcing');
            await Promise.all(workers.map((w) => w.close(true)));
          });
        },
      },
      { name: 'work queues', run: () => queues.close() },
      { name: 'sweep queue', run: () => sweepQueue.close() },
      { name: 'email', run: async () => email?.close() },
      { name: 'worker redis', run: () => closeConnection(redis) },
    ],
  };
}
