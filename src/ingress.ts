import type { Queue } from 'bullmq';
import type { Router } from 'express';
import type { Redis } from 'ioredis';
import type { IngressConfig } from './config';
import { adminRoutes } from './http/admin-routes';
import { createHttpApp } from './http/app';
import { redisRefusalReporter } from './http/errors';
import { healthRoutes, readinessProbe } from './http/health-routes';
import type { Lifecycle, ReadinessCheck } from './process/readiness';
import { listen, type HttpServer } from './http/server';
import { openApiRoutes } from './http/openapi';
import { createRateLimits, type RateLimits } from './http/rate-limit';
import { webhookRoutes } from './http/webhook-routes';
import type { Logger } from './logger';
import type { Metrics } from './observability/metrics';
import { EventInbox } from './queues/event-inbox';
import { catalogQueue } from './queues/producers';
import type { ReplicaAck } from './redis/connections';
import { ParkedEvents } from './store/parked-events';
import type { ResourceStack } from './process/resource-stack';
import { withTimeout } from './util/timeout';

export interface Ingress {
  http: HttpServer;
  inbox: EventInbox;
  parked: ParkedEvents;
}

/** The HTTP side of the service: Seam webhooks, health, and the routers other parts add. */
export async function startIngress(opts: {
  config: IngressConfig;
  /** The process's request-path connection (fail fast, no offline queue). */
  redis: Redis;
  /** With REDIS_MIN_REPLICAS_ACK > 0: the connection deliveries are written on, and the
   *  replicas each batch must reach (`WAIT` on that connection) before its 2xx. */
  durable?: { redis: Redis; ack: ReplicaAck; inboxLanes?: Redis[] };
  /** Where the ingress registers what it starts, to be released last-in first-out. */
  resources: ResourceStack;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  extraRouters?: Router[];
  extraReadiness?: Record<string, ReadinessCheck>;
  /** The queue dashboard at /admin/queues: this token, the events queue and these queues. */
  admin?: { token: string; queues: Queue[] };
  /** The request budgets, shared with the extra routers (made here when not given). */
  limits?: RateLimits;
}): Promise<Ingress> {
  const { config, logger, metrics, lifecycle, redis, resources } = opts;
  const inbox = new EventInbox(
    opts.durable?.inboxLanes ?? opts.durable?.redis ?? redis,
    config.QUEUE_PREFIX,
    config.WEBHOOK_DEDUPE_TTL_MS,
    config.REDIS_COMMAND_TIMEOUT_MS,
    opts.durable?.ack,
  );
  resources.defer('event inbox', () => inbox.close());
  // The dashboard reads the events queue on the shared connection, never behind a WAIT.
  const eventsForDashboard = opts.durable
    ? catalogQueue('events', redis, config.QUEUE_PREFIX)
    : inbox.queue;
  if (eventsForDashboard !== inbox.queue) {
    resources.defer('dashboard events queue', () => eventsForDashboard.close());
  }
  const parked = new ParkedEvents(
    opts.durable?.redis ?? redis,
    config.QUEUE_PREFIX,
    config.REDIS_COMMAND_TIMEOUT_MS,
    opts.durable?.ack,
  );

  const redisReady: ReadinessCheck = async () => {
    if (redis.status !== 'ready') return { ok: false, reason: `redis ${redis.status}` };
    const durable = opts.durable ? [opts.durable.redis, ...(opts.durable.inboxLanes ?? [])] : [];
    const down = durable.find((c) => c.status !== 'ready');
    if (down) return { ok: false, reason: `redis (writes) ${down.status}` };
    await withTimeout(redis.ping(), config.REDIS_COMMAND_TIMEOUT_MS, 'redis ping');
    return { ok: true };
  };

  const limits = opts.limits ?? createRateLimits({ config, metrics, logger });
  // One reporter for the webhook and the API: a full Redis is one alert, not one per route.
  const reportRedisRefusal = redisRefusalReporter(logger, (reason) =>
    metrics.observeRedisRefusal(reason),
  );
  const readiness = { redis: redisReady, ...opts.extraReadiness };
  metrics.watchReadiness(readinessProbe(lifecycle, readiness));
  const app = createHttpApp(
    logger,
    [
      // The webhook first: it carries nearly all the traffic, and every router ahead of it is
      // matched against each delivery for nothing.
      webhookRoutes({
        secret: config.SEAM_WEBHOOK_SECRET,
        bodyLimitBytes: config.WEBHOOK_BODY_LIMIT_BYTES,
        deps: { inbox, parked },
        metrics,
        logger,
        limits,
        reportRedisRefusal,
      }),
      healthRoutes(lifecycle, readiness, logger),
      openApiRoutes(),
      ...(opts.admin
        ? [
            adminRoutes({
              token: opts.admin.token,
              queues: [eventsForDashboard, ...opts.admin.queues],
              limitFailures: limits.authFailure,
            }),
          ]
        : []),
      ...(opts.extraRouters ?? []),
    ],
    reportRedisRefusal,
  );
  app.set('trust proxy', config.TRUST_PROXY);
  const http = await listen(app, {
    port: config.PORT,
    host: config.HOST,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  });
  resources.defer('http', () => http.close());
  logger.info({ port: http.port }, 'ingress listening');
  return { http, inbox, parked };
}
