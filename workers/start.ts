import type { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'bullmq';
import { redisTarget, type WorkerConfig } from '../src/config';
import type { GuestCode } from '../src/domain/guest-code';
import type { NotifyChannel } from '../src/domain/notification-channel';
import { channelsFor, type NotifyDeps } from '../src/flows/notify-guest';
import type { ReconcileDeps } from '../src/flows/reconcile';
import type { ReadinessCheck } from '../src/process/readiness';
import type { Logger } from '../src/logger';
import { observeJobs } from '../src/observability/jobs';
import type { Metrics } from '../src/observability/metrics';
import { createEmailSender } from '../src/notify/email';
import { createWebhookSender } from '../src/notify/outbound-webhook';
import type { ResourceStack } from '../src/process/resource-stack';
import { JOB_CATALOG, QUEUE_KEYS, type QueueKey } from '../src/queues/catalog';
import { FAILED_JOB_RETENTION_SECONDS } from '../src/queues/options';
import { catalogQueue, WorkQueues } from '../src/queues/producers';
import {
  closeConnection,
  confirmReplicated,
  createDurableWriteConnection,
  createWorkerConnection,
  isConnectionError,
  replicaAck,
  reportRedisWaits,
} from '../src/redis/connections';
import { createSeamGateway } from '../src/seam/client';
import { AccessCodeFreshness } from '../src/store/access-code-freshness';
import { GuestCodeStore } from '../src/store/guest-codes';
import { IgnoredEvents } from '../src/store/ignored-events';
import { LockCodeRegistry } from '../src/store/lock-codes';
import { storeKeys } from '../src/store/keys';
import { NotificationClaims } from '../src/store/notification-claims';
import { NotifyChannelRegistry } from '../src/store/notify-channels';
import { DeviceRateLimiter } from '../src/store/rate-limiter';
import { withTimeout } from '../src/util/timeout';
import { seamBackoff } from './backoff';
import { codeCreateHandler } from './code-create';
import { codeReconcileHandler } from './code-reconcile';
import { codeSweepHandler } from './code-sweep';
import { processorFor, type Handlers } from './handler';
import { guestNotifyHandler } from './guest-notify';
import { StayStore } from '../src/store/stays';
import { seamEventsHandler } from './seam-events';

/** How many times a job may lose its lock (its worker died or stalled) and still be re-run. */
const STALLS_BEFORE_FAILING = 10;

export interface Workers {
  workers: Worker[];
  queues: WorkQueues;
  store: GuestCodeStore;
  readiness: Record<string, ReadinessCheck>;
}

/** Starts every BullMQ worker of the service, wired to its flows. */
export async function startWorkers(opts: {
  config: WorkerConfig;
  logger: Logger;
  metrics: Metrics;
  /** Where the workers register what they start, to be released last-in first-out. */
  resources: ResourceStack;
}): Promise<Workers> {
  const { config, logger, resources } = opts;
  const settings = {
    target: redisTarget(config),
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  };
  const redis = createWorkerConnection(settings, 'worker');
  redis.on('error', (err) => logger.debug({ err: err.message }, 'worker redis error'));
  resources.defer('worker redis', () => closeConnection(redis));
  // One line per interval while Redis cannot be reached, not one per attempt and worker.
  const waits = reportRedisWaits(redis, { url: config.REDIS_URL, target: settings.target, logger });
  resources.defer('redis wait report', async () => waits.stop());
  const prefix = config.QUEUE_PREFIX;
  const keys = storeKeys(prefix);
  const now = () => new Date();

  const seam = createSeamGateway({
    apiKey: config.SEAM_API_KEY,
    endpoint: config.SEAM_ENDPOINT,
    timeoutMs: config.SEAM_TIMEOUT_MS,
    observe: opts.metrics.observeSeamCall,
  });
  // With REDIS_MIN_REPLICAS_ACK, the marks that guard a side effect (a creation's in-flight
  // note, a notification's claim) reach the replicas before Seam is asked or the guest is sent
  // anything: a failover cannot lose them and let a retry repeat the side effect. They are
  // written on a connection of their own, because WAIT covers only its own connection's writes
  // and blocks it while it waits (BullMQ's commands stay on the worker connection).
  const ack = replicaAck(config);
  let writes: Redis = redis;
  let confirmReplicatedWrites: (() => Promise<void>) | undefined;
  if (ack.replicas > 0) {
    const durable = createDurableWriteConnection(settings, ack, 'worker-writes');
    durable.on('error', (err) => logger.debug({ err: err.message }, 'worker writes redis error'));
    resources.defer('worker writes redis', () => closeConnection(durable));
    writes = durable;
    confirmReplicatedWrites = () => confirmReplicated(durable, ack);
  }
  const store = new GuestCodeStore(writes, prefix, { retentionMs: config.RECORD_RETENTION_MS });
  const queues = new WorkQueues(
    redis,
    prefix,
    config.CREATE_MAX_ATTEMPTS,
    config.RECONCILE_COALESCE_MS,
  );
  resources.defer('work queues', () => queues.close());
  const sweepQueue = catalogQueue('sweep', redis, prefix);
  resources.defer('sweep queue', () => sweepQueue.close());

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
  resources.defer('email', async () => email?.close());
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
      writes,
      config.NOTIFY_CLAIM_LEASE_MS,
      (FAILED_JOB_RETENTION_SECONDS + 24 * 3600) * 1000,
      confirmReplicatedWrites,
    ),
    claimKey: keys.notifyClaim,
    stays: new StayStore(writes, prefix, { retentionMs: config.RECORD_RETENTION_MS }),
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
  const lockCodes = new LockCodeRegistry(writes, keys.lockCodes);

  const backoff = seamBackoff(config.SEAM_RETRY_BASE_MS, config.SEAM_RETRY_MAX_MS);
  const common = {
    connection: redis,
    prefix,
    settings: { backoffStrategy: backoff },
  };
  const handlers: Handlers = {
    events: seamEventsHandler(reconcileDeps),
    reconcile: codeReconcileHandler(reconcileDeps),
    create: codeCreateHandler({
      store,
      seam,
      rateLimit,
      lockCodes,
      queues,
      now,
      logger,
      ...(confirmReplicatedWrites ? { confirmReplicated: confirmReplicatedWrites } : {}),
      alert: (id, code, message) => queues.enqueueAlert(id, code, message),
    }),
    notify: guestNotifyHandler(notifyDeps, channels),
    sweep: codeSweepHandler({
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
  };
  const start = <K extends QueueKey>(key: K) => {
    const { name, concurrency } = JOB_CATALOG[key];
    const worker = new Worker(name, processorFor(key, handlers[key]), {
      ...common,
      concurrency: concurrency(config.WORKER_CONCURRENCY),
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      lockDuration: config.WORKER_STALLED_INTERVAL_MS,
      // BullMQ fails a job for good on its second stall (default 1), attempts left or not:
      // a crash then a busy event loop would drop an event. Every processor is safe to re-run
      // (creates adopt, notifications are claimed), so a stalled job is simply run again.
      maxStalledCount: STALLS_BEFORE_FAILING,
    });
    worker.on('error', (err) =>
      // Redis not there (yet): the waiting line says so once per interval.
      isConnectionError(err)
        ? logger.debug({ queue: name, err: err.message }, 'worker error')
        : logger.warn({ queue: name, err: err.message }, 'worker error'),
    );
    worker.on('failed', (job, err) =>
      logger.warn(
        { queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message },
        'job failed',
      ),
    );
    observeJobs(opts.metrics, worker);
    return worker;
  };
  const workers = QUEUE_KEYS.map(start);
  resources.defer('workers', async () => {
    // close() waits for active jobs with no bound of its own (seam-facts): bound it.
    shutdown.abort();
    await withTimeout(
      Promise.all(workers.map((w) => w.close())),
      Math.max(1000, config.SHUTDOWN_TIMEOUT_MS - 3000),
      'closing workers',
    ).catch(async (err) => {
      logger.warn({ err: err.message }, 'workers did not finish in time; forcing');
      await Promise.all(workers.map((w) => w.close(true)));
    });
  });
  // One schedule shared by every worker process: BullMQ runs each tick once.
  await sweepQueue.upsertJobScheduler(
    'sweep',
    { every: config.RECONCILE_SWEEP_INTERVAL_MS },
    { name: 'sweep', opts: JOB_CATALOG.sweep.options },
  );
  // Tell API processes (which may run without these settings) how guests can be reached.
  const configured: NotifyChannel[] = [
    ...(email ? (['email'] as const) : []),
    ...(webhook ? (['webhook'] as const) : []),
  ];
  const announcing = new NotifyChannelRegistry(redis, keys.notifyChannels).keepAnnouncing(
    configured,
    (err) =>
      logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'could not announce the notification channels',
      ),
  );
  resources.defer('channel announcement', async () => announcing.stop());
  logger.info({ queues: workers.map((w) => w.name), channels: configured }, 'workers started');

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

  return { workers, queues, store, readiness };
}
