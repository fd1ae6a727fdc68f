import { Queue } from 'bullmq';
import type { Router } from 'express';
import type { Config, Role } from './config';
import { guestCodeRoutes } from './http/guest-code-routes';
import { createHttpApp } from './http/app';
import { healthRoutes, readinessProbe, type Lifecycle } from './http/health-routes';
import { createRateLimits } from './http/rate-limit';
import { listen } from './http/server';
import { metricsRoutes, startMetricsListener } from './http/metrics-routes';
import { startIngress } from './ingress';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './observability/metrics';
import { watchSharedState } from './observability/shared-state';
import type { ShutdownStep } from './process/shutdown';
import { QUEUES } from './queues/names';
import { WorkQueues } from './queues/producers';
import { closeConnection, createRequestPathConnection, waitUntilReady } from './redis/connections';
import { createSeamGateway } from './seam/client';
import { DeviceCache } from './seam/device-cache';
import { GuestCodeStore } from './store/guest-codes';
import { LockCodeRegistry } from './store/lock-codes';
import { storeKeys } from './store/keys';
import { startWorkers } from './worker';

export interface RunningService {
  /** The HTTP port (ingress, or the worker's health port). */
  port: number;
  /** The port of the /metrics listener when METRICS_PORT is set. */
  metricsPort?: number;
  lifecycle: Lifecycle;
  shutdownSteps(): ShutdownStep[];
}

/**
 * Composes the processes: `ingress` (webhooks, provisioning API, health, metrics), `worker`
 * (BullMQ workers, with a small health server), or `all` of it in one process.
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
  const steps: ShutdownStep[] = [];

  const workers = roles.includes('worker')
    ? await startWorkers({ config, logger, metrics })
    : undefined;

  if (roles.includes('ingress')) {
    const settings = { url: config.REDIS_URL, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS };
    const apiRedis = createRequestPathConnection(settings, 'api');
    apiRedis.on('error', (err) => logger.debug({ err: err.message }, 'api redis error'));
    if (!(await waitUntilReady(apiRedis, 5000))) logger.warn('Redis is not reachable yet');
    const store = new GuestCodeStore(apiRedis, config.QUEUE_PREFIX, {
      retentionMs: config.RECORD_RETENTION_MS,
    });
    const queues = new WorkQueues(
      apiRedis,
      config.QUEUE_PREFIX,
      config.CREATE_MAX_ATTEMPTS,
      config.RECONCILE_COALESCE_MS,
    );
    // Only for the dashboard: the sweeper's schedule is owned by the workers.
    const sweepQueue = new Queue(QUEUES.sweep, {
      connection: apiRedis,
      prefix: config.QUEUE_PREFIX,
    });
    sweepQueue.on('error', () => undefined);
    const seam = createSeamGateway({
      apiKey: config.SEAM_API_KEY ?? '',
      endpoint: config.SEAM_ENDPOINT,
      timeoutMs: config.SEAM_TIMEOUT_MS,
      observe: metrics.observeSeamCall,
    });
    const devices = new DeviceCache(
      seam,
      apiRedis,
      storeKeys(config.QUEUE_PREFIX).deviceCache,
      config.DEVICE_CACHE_TTL_MS,
    );
    const routers: Router[] = config.METRICS_PORT === undefined ? [metricsRoutes(metrics)] : [];
    const limits = createRateLimits({ config, metrics, logger });
    if (config.API_TOKEN) {
      routers.push(
        guestCodeRoutes({
          token: config.API_TOKEN,
          stuckAfterMs,
          store,
          deps: {
            store,
            devices,
            queues,
            lockCodes: new LockCodeRegistry(apiRedis, storeKeys(config.QUEUE_PREFIX).lockCodes),
            now: () => new Date(),
          },
          limits,
        }),
      );
    }
    const ingress = await startIngress({
      config,
      logger,
      metrics,
      lifecycle,
      extraRouters: routers,
      extraReadiness: workers?.readiness,
      limits,
      // The dashboard has its own credential; without one it is not served at all.
      admin: config.ADMIN_TOKEN
        ? {
            token: config.ADMIN_TOKEN,
            queues: [queues.create, queues.reconcile, queues.notify, sweepQueue],
          }
        : undefined,
    }).catch(async (err: unknown) => {
      // Workers already run: release them, or the process would hang instead of exiting.
      for (const step of [
        ...(workers?.shutdownSteps() ?? []),
        { name: 'api redis', run: () => closeConnection(apiRedis) },
      ]) {
        await step.run().catch(() => undefined);
      }
      throw err;
    });
    steps.push(...ingress.shutdownSteps());
    if (workers) steps.push(...workers.shutdownSteps());
    steps.push(
      { name: 'api queues', run: () => queues.close() },
      { name: 'sweep queue', run: () => sweepQueue.close() },
      { name: 'api redis', run: () => closeConnection(apiRedis) },
    );
    const metricsPort = await exposeMetrics(metrics, config, logger, steps);
    return { port: ingress.http.port, metricsPort, lifecycle, shutdownSteps: () => steps };
  }

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
  steps.push({ name: 'health http', run: () => http.close() }, ...workers.shutdownSteps());
  const metricsPort = await exposeMetrics(metrics, config, logger, steps);
  return { port: http.port, metricsPort, lifecycle, shutdownSteps: () => steps };
}

/**
 * The Redis-backed gauges, and `/metrics` on METRICS_PORT when set. Their shutdown steps go
 * last, so scrapes still work while the rest drains. If the listener cannot start, what
 * already runs is released, or the process would hang instead of exiting.
 */
async function exposeMetrics(
  metrics: Metrics,
  config: Config,
  logger: Logger,
  steps: ShutdownStep[],
): Promise<number | undefined> {
  const closeShared = watchSharedState(metrics, {
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    timeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    logger,
  });
  if (config.METRICS_PORT === undefined) {
    steps.push(...closeShared);
    return undefined;
  }
  try {
    const http = await startMetricsListener(metrics, logger, {
      port: config.METRICS_PORT,
      host: config.HOST,
      keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    });
    steps.push({ name: 'metrics http', run: () => http.close() }, ...closeShared);
    logger.info({ port: http.port }, 'metrics listening');
    return http.port;
  } catch (err) {
    for (const step of [...steps, ...closeShared]) await step.run().catch(() => undefined);
    throw err;
  }
}
