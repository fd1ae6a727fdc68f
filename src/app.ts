import type { Router } from 'express';
import type { Config, Role } from './config';
import { guestCodeRoutes } from './http/guest-code-routes';
import { createHttpApp } from './http/app';
import { healthRoutes, type Lifecycle } from './http/health-routes';
import { listen } from './http/server';
import { metricsRoutes } from './http/metrics-routes';
import { startIngress } from './ingress';
import type { Logger } from './logger';
import { createMetrics } from './observability/metrics';
import type { ShutdownStep } from './process/shutdown';
import { WorkQueues } from './queues/producers';
import { closeConnection, createRequestPathConnection, waitUntilReady } from './redis/connections';
import { createSeamGateway } from './seam/client';
import { DeviceCache } from './seam/device-cache';
import { GuestCodeStore } from './store/guest-codes';
import { storeKeys } from './store/keys';
import { startWorkers } from './worker';

export interface RunningService {
  /** The HTTP port (ingress, or the worker's health port). */
  port: number;
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
    const seam = createSeamGateway({
      apiKey: config.SEAM_API_KEY ?? '',
      endpoint: config.SEAM_ENDPOINT,
      timeoutMs: config.SEAM_TIMEOUT_MS,
    });
    const devices = new DeviceCache(
      seam,
      apiRedis,
      storeKeys(config.QUEUE_PREFIX).deviceCache,
      config.DEVICE_CACHE_TTL_MS,
    );
    const routers: Router[] = [metricsRoutes(metrics)];
    if (config.API_TOKEN) {
      routers.push(
        guestCodeRoutes({
          token: config.API_TOKEN,
          store,
          deps: { store, devices, queues, now: () => new Date() },
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
      { name: 'api redis', run: () => closeConnection(apiRedis) },
    );
    return { port: ingress.http.port, lifecycle, shutdownSteps: () => steps };
  }

  // A worker alone still answers health checks, for the orchestrator.
  if (!workers) throw new Error('no role to start');
  const app = createHttpApp(logger, [
    healthRoutes(lifecycle, workers.readiness),
    metricsRoutes(metrics),
  ]);
  const http = await listen(app, {
    port: config.PORT,
    host: config.HOST,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  });
  steps.push({ name: 'health http', run: () => http.close() }, ...workers.shutdownSteps());
  return { port: http.port, lifecycle, shutdownSteps: () => steps };
}
