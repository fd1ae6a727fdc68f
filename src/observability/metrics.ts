import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { GUEST_CODE_STATUSES, isTerminal } from '../domain/guest-code';
import { REPLACEABLE_ERRORS } from '../domain/lifecycle';
import { DELIVERY_CHANNELS, type DeliveryChannel } from '../domain/notification-channel';
import { QUEUES } from '../queues/catalog';
import { REDIS_REFUSALS, type RedisRefusal } from '../redis/connections';
import { SEAM_ENDPOINTS, type SeamCallObserver } from '../seam/client';
import { withTimeout } from '../util/timeout';

/** Every webhook outcome, so each label exists (at 0) from the first scrape. */
export const WEBHOOK_OUTCOMES = [
  'accepted',
  'duplicate',
  'ignored',
  'parked',
  'rejected_401',
  'rejected_413',
  'rate_limited_429',
  'unauthenticated_429',
  'unavailable_503',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** What became of one run of a job: `retrying` is a failed attempt BullMQ will run again. */
export const JOB_OUTCOMES = ['completed', 'failed', 'retrying'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

export const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'completed',
  'prioritized',
] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** `alert_webhook` is the ops alert (`guest_code.failed` / `guest_code.alert`), sent through the same webhook. */
export const NOTIFICATION_CHANNELS = DELIVERY_CHANNELS;
export type NotificationChannel = DeliveryChannel;
export const NOTIFICATION_OUTCOMES = ['sent', 'failed'] as const;
export type NotificationOutcome = (typeof NOTIFICATION_OUTCOMES)[number];

const OPEN_STATUSES = GUEST_CODE_STATUSES.filter((s) => !isTerminal(s));

/** Replacement reasons known in advance; anything else that is not a plain code is `other`. */
const KNOWN_REPLACEMENT_REASONS = [...REPLACEABLE_ERRORS, 'not_set_in_time'];

/**
 * Redis-backed figures read at scrape time. They describe shared state, so every process
 * (ingress, worker) reports the same values.
 */
export interface SharedStateSource {
  queueCounts(): Promise<Record<string, Record<QueueState, number>>>;
  guestCodeCounts(): Promise<Record<string, number>>;
  /** Per open status, when its longest-waiting guest code entered it (ms); undefined: none. */
  oldestOpenSince?(): Promise<Record<string, number | undefined>>;
}

/**
 * The service's Prometheus metrics, one registry per process. Labels are low-cardinality
 * only: never an id. Every label value known in advance is exported at 0 from the start, so
 * a rate() or an alert does not wait for the first event of its kind.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const webhookDeliveries = new Counter({
    name: 'seam_webhook_deliveries_total',
    help: 'Seam webhook deliveries by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const webhookDuration = new Histogram({
    name: 'seam_webhook_duration_seconds',
    help: 'Time to answer a Seam webhook delivery',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  for (const outcome of WEBHOOK_OUTCOMES) {
    webhookDeliveries.inc({ outcome }, 0);
    webhookDuration.zero({ outcome });
  }

  const jobs = new Counter({
    name: 'seam_jobs_total',
    help: 'BullMQ job runs processed by this process, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: 'seam_job_duration_seconds',
    help: 'Time a job run took in this process (processedOn to finishedOn), by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  for (const queue of Object.values(QUEUES)) {
    for (const outcome of JOB_OUTCOMES) {
      jobs.inc({ queue, outcome }, 0);
      jobDuration.zero({ queue, outcome });
    }
  }

  const seamRequests = new Counter({
    name: 'seam_api_requests_total',
    help: 'Seam API calls by endpoint and status (HTTP status, or the error kind without one)',
    labelNames: ['endpoint', 'status'] as const,
    registers: [registry],
  });
  const seamDuration = new Histogram({
    name: 'seam_api_request_duration_seconds',
    help: 'Seam API call latency by endpoint and status',
    labelNames: ['endpoint', 'status'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  for (const endpoint of SEAM_ENDPOINTS) {
    seamRequests.inc({ endpoint, status: '200' }, 0);
    seamDuration.zero({ endpoint, status: '200' });
  }

  const notifications = new Counter({
    name: 'guest_notifications_total',
    help: 'Guest notifications and ops alerts by channel and outcome (failed = one failed send)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  for (const channel of NOTIFICATION_CHANNELS) {
    for (const outcome of NOTIFICATION_OUTCOMES) notifications.inc({ channel, outcome }, 0);
  }

  const replacements = new Counter({
    name: 'guest_code_replacements_total',
    help: 'Offline codes replaced by a new one, by reason (a Seam error code or not_set_in_time)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of KNOWN_REPLACEMENT_REASONS) replacements.inc({ reason }, 0);

  const redisRefusals = new Counter({
    name: 'seam_redis_refusals_total',
    help:
      'Requests answered 503 because Redis refused or did not answer, by reason (oom = full: ' +
      'maxmemory under noeviction; readonly, loading, masterdown, busy, misconf, timeout, unreachable)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of REDIS_REFUSALS) redisRefusals.inc({ reason }, 0);

  const shared: { source?: SharedStateSource; timeoutMs: number } = { timeoutMs: 1000 };
  const reading = new Set<Promise<unknown>>();
  /** Reads one Redis-backed figure within the bound; a slow Redis leaves it out, never hangs. */
  const readShared = <T>(
    source: 'queues' | 'guest_codes' | 'oldest_open',
    read: (s: SharedStateSource) => Promise<T>,
  ): Promise<T | undefined> => {
    const from = shared.source;
    if (!from) return Promise.resolve(undefined);
    const result = withTimeout(read(from), shared.timeoutMs, `metrics: ${source}`).catch(() => {
      collectErrors.inc({ source });
      return undefined;
    });
    reading.add(result);
    void result.finally(() => reading.delete(result));
    return result;
  };

  new Gauge({
    name: 'seam_queue_jobs',
    help:
      'Jobs per BullMQ queue and state, read from Redis at scrape time. Shared state: every ' +
      'process reports the same values, so aggregate with max(), not sum()',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const counts = await readShared('queues', (s) => s.queueCounts());
      this.reset();
      if (!counts) return;
      for (const [queue, states] of Object.entries(counts)) {
        for (const state of QUEUE_STATES) this.set({ queue, state }, states[state] ?? 0);
      }
    },
  });

  new Gauge({
    name: 'guest_codes',
    help:
      'Guest codes by status, read from Redis at scrape time. requested/waiting/set: open now; ' +
      'notified/undelivered/failed/cancelled: every code that ended so, expired records included (use ' +
      'increase()). Shared state: every process reports the same values, so aggregate with max()',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await readShared('guest_codes', (s) => s.guestCodeCounts());
      this.reset();
      if (!counts) return;
      for (const status of GUEST_CODE_STATUSES) this.set({ status }, counts[status] ?? 0);
    },
  });

  new Gauge({
    name: 'guest_code_oldest_open_age_seconds',
    help:
      'Per open status (requested, waiting, set), how long its longest-waiting guest code has ' +
      'been in it (0: none). Compare with STUCK_*_MS; GET /v1/guest-codes?stuck=true lists them. ' +
      'Shared state: every process reports the same values, so aggregate with max()',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const since = await readShared('oldest_open', (s) =>
        s.oldestOpenSince ? s.oldestOpenSince() : Promise.resolve(undefined),
      );
      this.reset();
      if (!since) return;
      const now = Date.now();
      for (const status of OPEN_STATUSES) {
        const at = since[status];
        this.set({ status }, at === undefined ? 0 : Math.max(0, (now - at) / 1000));
      }
    },
  });

  // The thresholds themselves, so an alert compares the age with what this deployment set.
  const stuckThreshold = new Gauge({
    name: 'guest_code_stuck_threshold_seconds',
    help: 'Per open status, how long a guest code may sit in it before it counts as stuck (STUCK_*_MS)',
    labelNames: ['status'] as const,
    registers: [registry],
  });

  const readiness: { probe?: () => Promise<boolean> } = {};
  new Gauge({
    name: 'seam_ready',
    help: '1 when this process would answer /readyz with 200 (Redis answers, workers run, not shutting down), else 0',
    registers: [registry],
    async collect() {
      const probe = readiness.probe;
      if (!probe) {
        this.set(1);
        return;
      }
      const ok = await withTimeout(probe(), shared.timeoutMs * 2, 'metrics: readiness').catch(
        () => false,
      );
      this.set(ok ? 1 : 0);
    },
  });

  // Registered after the gauges: the registry collects in order and in parallel, so this
  // waits for their reads and a failure shows in the same scrape.
  const collectErrors = new Counter({
    name: 'seam_metrics_collect_errors_total',
    help: 'Scrapes in which a Redis-backed gauge could not be read in time (it is left out)',
    labelNames: ['source'] as const,
    registers: [registry],
    async collect() {
      await Promise.all(reading);
    },
  });
  for (const source of ['queues', 'guest_codes', 'oldest_open']) collectErrors.inc({ source }, 0);

  const observeSeamCall: SeamCallObserver = (endpoint, status, seconds) => {
    seamRequests.inc({ endpoint, status });
    seamDuration.observe({ endpoint, status }, seconds);
  };

  return {
    registry,
    webhookDeliveries,
    webhookDuration,
    jobs,
    jobDuration,
    seamRequests,
    seamDuration,
    notifications,
    replacements,
    observeSeamCall,
    observeJob(queue: string, outcome: JobOutcome, seconds: number | undefined): void {
      jobs.inc({ queue, outcome });
      if (seconds !== undefined) jobDuration.observe({ queue, outcome }, seconds);
    },
    observeNotification(channel: NotificationChannel, outcome: NotificationOutcome): void {
      notifications.inc({ channel, outcome });
    },
    redisRefusals,
    observeRedisRefusal(reason: RedisRefusal): void {
      redisRefusals.inc({ reason });
    },
    observeReplacement(reason: string): void {
      // A label is a bounded set: a reason that is not a plain code must not create a series.
      replacements.inc({ reason: /^[a-z][a-z0-9_]{0,63}$/.test(reason) ? reason : 'other' });
    },
    /** The STUCK_*_MS thresholds, exported as `guest_code_stuck_threshold_seconds`. */
    setStuckThresholds(ms: Record<string, number>): void {
      for (const status of OPEN_STATUSES) {
        const value = ms[status];
        if (value !== undefined) stuckThreshold.set({ status }, value / 1000);
      }
    },
    /** What `seam_ready` asks at each scrape (what /readyz would answer). */
    watchReadiness(probe: () => Promise<boolean>): void {
      readiness.probe = probe;
    },
    /** Where the queue and guest code gauges read from, and how long a scrape may wait. */
    watchSharedState(source: SharedStateSource, timeoutMs: number): void {
      shared.source = source;
      shared.timeoutMs = timeoutMs;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
