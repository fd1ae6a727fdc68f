import { Router } from 'express';
import type { Logger } from '../logger';
import type { Metrics } from '../observability/metrics';
import { createHttpApp } from './app';
import { listen, type HttpServer } from './server';

export function metricsRoutes(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}

/**
 * `/metrics` alone on a port of its own (METRICS_PORT), so the load balancer in front of the
 * service port need not expose it.
 */
export function startMetricsListener(
  metrics: Metrics,
  logger: Logger,
  opts: { port: number; host: string; keepAliveTimeoutMs: number },
): Promise<HttpServer> {
  return listen(createHttpApp(logger, [metricsRoutes(metrics)]), opts);
}
