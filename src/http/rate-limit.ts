import { Router, type Request, type RequestHandler } from 'express';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../observability/metrics';
import { sendError } from './errors';

export type RateLimitConfig = Pick<
  Config,
  'WEBHOOK_RATE_LIMIT' | 'API_RATE_LIMIT' | 'RATE_LIMIT_WINDOW_MS'
>;

/**
 * Per-client-IP request limits on the public endpoints, counted in this process's memory: no
 * Redis round trip on the webhook's hot path, and a Redis outage cannot turn into refusals.
 * The price is that N processes allow N times the setting. The client IP is `req.ip`, so
 * what it means behind a load balancer is the app's `trust proxy` (TRUST_PROXY).
 * Health and metrics are not limited: a balancer's probes must always get through.
 */
export function rateLimitRoutes(opts: {
  config: RateLimitConfig;
  metrics: Metrics;
  logger: Logger;
}): Router {
  const { config, metrics, logger } = opts;
  const router = Router();
  const limiter = (limit: number, onLimited: () => void): RequestHandler =>
    rateLimit({
      windowMs: config.RATE_LIMIT_WINDOW_MS,
      limit,
      // No RateLimit-* headers on every answer (the webhook path is hot); Retry-After on 429.
      standardHeaders: false,
      legacyHeaders: false,
      // Misconfiguration warnings (e.g. X-Forwarded-For with no trusted proxy) go to our log.
      logger: {
        warn: (err: unknown) => logger.warn({ err: String(err) }, 'rate limit configuration'),
        error: (err: unknown) => logger.error({ err: String(err) }, 'rate limit configuration'),
      },
      handler: (req, res, _next, used) => {
        onLimited();
        const reset = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
        const waitMs = reset ? reset.getTime() - Date.now() : used.windowMs;
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
        sendError(
          res,
          used.statusCode,
          'rate_limited',
          'too many requests from this client; retry after the Retry-After delay',
        );
      },
    });

  if (config.WEBHOOK_RATE_LIMIT > 0) {
    router.post(
      '/webhooks/seam',
      limiter(config.WEBHOOK_RATE_LIMIT, () =>
        metrics.webhookDeliveries.inc({ outcome: 'rate_limited_429' }),
      ),
    );
  }
  if (config.API_RATE_LIMIT > 0) {
    router.use(
      '/v1',
      limiter(config.API_RATE_LIMIT, () => undefined),
    );
  }
  return router;
}
