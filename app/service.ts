import type { Router } from 'express';
import type { Redis } from 'ioredis';
import {
  ingressConfig,
  redisTarget,
  workerConfig,
  type Config,
  type IngressConfig,
  type Role,
} from '../src/config';
import { createHttpApp } from '../src/http/app';
import { deviceRoutes } from '../src/http/device-routes';
import { guestCodeRoutes } from '../src/http/guest-code-routes';
import { healthRoutes, readinessProbe } from '../src/http/health-routes';
import { metricsRoutes, startMetricsListener } from '../src/http/metrics-routes';
import { createRateLimits } from '../src/http/rate-limit';
import { listen } from '../src/http/server';
import { startIngress } from '../src/ingress';
import type { Logger } from '../src/logger';
import { createMetrics, type Metrics } from '../src/observability/metrics';
import { watchSharedState } from '../src/observability/shared-state';
import type { Lifecycle } from '../src/process/readiness';
import { ResourceStack } from '../src/process/resource-stack';
import type { ShutdownStep } from '../src/process/shutdown';
import { catalogQueue, WorkQueues } from '../src/queues/producers';
import {
  closeConnection,
  confirmReplicated,
  replicaAck,
  createDurableWriteConnection,
  createRequestPathConnection,
  reportRedisWaits,
  waitUntilReady,
  type ReplicaAck,
} from '../src/redis/connections';
import { createSeamGateway } from '../src/seam/client';
import { DeviceCache } from '../src/seam/device-cache';
import { GuestCodeStore } from '../src/store/guest-codes';
import { StayStore } from '../src/store/stays';
import { storeKeys } from '../src/store/keys';
import { LockCodeRegistry } from '../src/store/lock-codes';
import { NotifyChannelRegistry } from '../src/store/notify-channels';
import { startWorkers } from '../workers/start';

/** Connections the ingress writes deliveries on when it waits for replicas (see startService). */
const DURABLE_WRITE_CONNECTIONS = 4;

export interface RunningService {
  /** The HTTP port (ingress, or the worker's health port). */
  port: number;
  /** The port of the /metrics listener when METRICS_PORT is set. */
  metricsPort?: number;
  lifecycle: Lifecycle;
  /** What the process holds, in the order to release it (last started, first released). */
  shutdownSteps(): ShutdownStep[];
}

/**
 * The composition root: `ingress` (webhooks, provisioning API, health, metrics), `worker`
 * (BullMQ workers, with a small health server), or `all` of it in one process.
 *
 * Everything started is pushed on one ResourceStack right after it starts, so a start-up that
 * fails half-way releases exactly what it had started, and shutdown is that stack unwound:
 * the HTTP listener (started last) closes first, then the API's queues, the workers, the
 * request-path Redis connection, and the metrics (started first) last, so scrapes still work
 * while the rest drains.
 */
export async function startService(
  roles: Role[],
  config: Config,
  logger: Logger,
): Promise<RunningService> {
  const lifecycle: Lifecycle = { shuttingDown: false };
  const metrics = createMetrics();
  const stuckAfterMs = {
    requested: config.STUCK_REQUESTED_MS,
    waiting: config.STUCK_WAITING_MS,
    set: config.STUCK_SET_MS,
  };
  metrics.setStuckThresholds(stuckAfterMs);
  const resources = new ResourceStack();
  const topology = redisTarget(config);
  // Which Redis, when it is not the one REDIS_URL names (addresses only: no password).
  if (topology.kind === 'sentinel') {
    logger.info(
      { sentinels: topology.sentinels, name: topology.name },
      'redis: Sentinel mode (REDIS_URL not used)',
    );
  } else if (topology.kind === 'cluster') {
    logger.info(
      { nodes: topology.nodes, prefix: config.QUEUE_PREFIX },
      'redis: cluster mode (REDIS_URL not used)',
    );
  }
  try {
    const metricsPort = await exposeMetrics(metrics, config, logger, resources);
    const workers = roles.includes('worker')
      ? await startWorkers({ config: workerConfig(config), logger, metrics, resources })
      : undefined;

    let port: number;
    if (roles.includes('ingress')) {
      const ingressOnly = ingressConfig(config);
      // One request-path connection for the webhook route and the API (fail fast, no queueing).
      const settings = {
        target: redisTarget(config),
        commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      };
      const redis = createRequestPathConnection(settings, 'ingress');
      redis.on('error', (err) => logger.debug({ err: err.message }, 'ingress redis error'));
      resources.defer('ingress redis', () => closeConnection(redis));
      // Writes acknowledged to a client wait for replicas: on a connection of their own (WAIT
      // covers the writes of the connection that calls it, and blocks it while it waits).
      const ack = replicaAck(config);
      let durable: { redis: Redis; ack: typeof ack; inboxLanes: Redis[] } | undefined;
      if (ack.replicas > 0) {
        // A few, so deliveries' batches and their WAITs overlap (WAIT blocks its connection);
        // the first also carries the API's writes.
        const lanes = Array.from({ length: DURABLE_WRITE_CONNECTIONS }, (_, i) => {
          const writes = createDurableWriteConnection(settings, ack, `ingress-writes-${i}`);
          writes.on('error', (err) =>
            logger.debug({ err: err.message }, 'ingress writes redis error'),
          );
          resources.defer(`ingress writes redis ${i}`, () => closeConnection(writes));
          return writes;
        });
        durable = { redis: lanes[0]!, ack, inboxLanes: lanes };
      }
      // The workers' connection reports waits for Redis when they run in this process.
      if (!workers) {
        const waits = reportRedisWaits(redis, {
          url: config.REDIS_URL,
          target: redisTarget(config),
          logger,
        });
        resources.defer('redis wait report', async () => waits.stop());
      }
      await waitUntilReady(redis, 5000);
      for (const lane of durable?.inboxLanes ?? []) await waitUntilReady(lane, 5000);
      port = await startHttpRole(
        ingressOnly,
        { logger, metrics, lifecycle, redis, durable, resources },
        { readiness: workers?.readiness, stuckAfterMs },
      );
    } else {
      // A worker alone still answers health checks, for the orchestrator.
      if (!workers) throw new Error('no role to start');
      metrics.watchReadiness(readinessProbe(lifecycle, workers.readiness));
      const app = createHttpApp(logger, [
        healthRoutes(lifecycle, workers.readiness, logger),
        ...(config.METRICS_PORT === undefined ? [metricsRoutes(metrics)] : []),
      ]);
      const http = await listen(app, {
        port: config.PORT,
        host: config.HOST,
        keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      });
      resources.defer('health http', () => http.close());
      port = http.port;
    }
    const shutdownSteps = () =>
      resources.list().map((r) => ({ name: r.name, run: async () => void (await r.run()) }));
    return { port, metricsPort, lifecycle, shutdownSteps };
  } catch (err) {
    // Whatever had started is released, or the process would hang instead of exiting.
    await resources.close((name, e) =>
      logger.warn(
        { step: name, err: e instanceof Error ? e.message : String(e) },
        'release failed',
      ),
    );
    throw err;
  }
}

/** The ingress with the provisioning API and, when ADMIN_TOKEN is set, the dashboard. */
async function startHttpRole(
  config: IngressConfig,
  parts: {
    logger: Logger;
    metrics: Metrics;
    lifecycle: Lifecycle;
    redis: Redis;
    durable?: { redis: Redis; ack: ReplicaAck };
    resources: ResourceStack;
  },
  opts: {
    readiness?: Parameters<typeof startIngress>[0]['extraReadiness'];
    stuckAfterMs: Parameters<typeof guestCodeRoutes>[0]['stuckAfterMs'];
  },
): Promise<number> {
  const { logger, metrics, redis, durable, resources } = parts;
  const prefix = config.QUEUE_PREFIX;
  // The API writes (records, queued jobs, lock code claims) on the connection its WAIT runs
  // on, when there is one; reads that write nothing (device cache, dashboard) stay shared.
  const writes = durable?.redis ?? redis;
  const store = new GuestCodeStore(writes, prefix, { retentionMs: config.RECORD_RETENTION_MS });
  const queues = new WorkQueues(
    writes,
    prefix,
    config.CREATE_MAX_ATTEMPTS,
    config.RECONCILE_COALESCE_MS,
  );
  resources.defer('api queues', () => queues.close());
  const dashboardQueues = durable
    ? new WorkQueues(redis, prefix, config.CREATE_MAX_ATTEMPTS, config.RECONCILE_COALESCE_MS)
    : queues;
  if (dashboardQueues !== queues) {
    resources.defer('dashboard queues', () => dashboardQueues.close());
  }
  // Only for the dashboard: the sweeper's schedule is owned by the workers.
  const sweepQueue = catalogQueue('sweep', redis, prefix);
  resources.defer('sweep queue', () => sweepQueue.close());
  const seam = createSeamGateway({
    apiKey: config.SEAM_API_KEY,
    endpoint: config.SEAM_ENDPOINT,
    timeoutMs: config.SEAM_TIMEOUT_MS,
    observe: metrics.observeSeamCall,
  });
  const devices = new DeviceCache(
    seam,
    redis,
    storeKeys(prefix).deviceCache,
    config.DEVICE_CACHE_TTL_MS,
  );
  const limits = createRateLimits({ config, metrics, logger });
  // What the workers announced they can send through (they may run in other processes).
  const notifyChannels = new NotifyChannelRegistry(redis, storeKeys(prefix).notifyChannels);
  const routers: Router[] = config.METRICS_PORT === undefined ? [metricsRoutes(metrics)] : [];
  routers.push(
    guestCodeRoutes({
      token: config.API_TOKEN,
      stuckAfterMs: opts.stuckAfterMs,
      store,
      stays: new StayStore(writes, prefix, { retentionMs: config.RECORD_RETENTION_MS }),
      deps: {
        store,
        devices,
        queues,
        lockCodes: new LockCodeRegistry(writes, storeKeys(prefix).lockCodes),
        now: () => new Date(),
        notifyChannels: () => notifyChannels.live(Date.now()),
      },
      limits,
      ...(durable ? { confirmWrites: () => confirmReplicated(durable.redis, durable.ack) } : {}),
    }),
  );
  routers.push(deviceRoutes({ token: config.API_TOKEN, seam, limits }));
  const ingress = await startIngress({
    config,
    logger,
    metrics,
    lifecycle: parts.lifecycle,
    redis,
    durable,
    resources,
    extraRouters: routers,
    extraReadiness: opts.readiness,
    limits,
    // The dashboard has its own credential; without one it is not served at all.
    admin: config.ADMIN_TOKEN
      ? {
          token: config.ADMIN_TOKEN,
          queues: [
            dashboardQueues.create,
            dashboardQueues.reconcile,
            dashboardQueues.notify,
            sweepQueue,
          ],
        }
      : undefined,
  });
  return ingress.http.port;
}

/**
 * The Redis-backed gauges, and `/metrics` on METRICS_PORT when set. Started first, so they
 * are released last: scrapes still work while the rest drains.
 */
async function exposeMetrics(
  metrics: Metrics,
  config: Config,
  logger: Logger,
  resources: ResourceStack,
): Promise<number | undefined> {
  for (const step of watchSharedState(metrics, {
    target: redisTarget(config),
    prefix: config.QUEUE_PREFIX,
    timeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    logger,
  }).reverse()) {
    resources.defer(step.name, step.run);
  }
  if (config.METRICS_PORT === undefined) return undefined;
  const http = await startMetricsListener(metrics, logger, {
    port: config.METRICS_PORT,
    host: config.HOST,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  });
  resources.defer('metrics http', () => http.close());
  logger.info({ port: http.port }, 'metrics listening');
  return http.port;
}
