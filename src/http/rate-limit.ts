import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitInfo } from 'express-rate-limit';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../observability/metrics';
import { sendError } from './errors';

export type RateLimitConfig = Pick<
  Config,
  'WEBHOOK_RATE_LIMIT' | 'API_RATE_LIMIT' | 'AUTH_FAILURE_RATE_LIMIT' | 'RATE_LIMIT_WINDOW_MS'
>;

/**
 * The request budgets of the public endpoints, each run only once the caller is known:
 *
 * - `signedDelivery`: deliveries whose Svix signature verified, one budget per process;
 * - `apiCaller`: calls that presented a valid token, one budget per token;
 * - `authFailure`: requests that failed authentication (no or wrong token, missing, stale or
 *   wrong signature), per client IP.
 *
 * Authentication runs first, so anonymous traffic only ever spends `authFailure`: behind a
 * load balancer, where every client shares one address, a flood of forgeries cannot make the
 * booking system's next call or Seam's next signed delivery answer 429.
 *
 * Budgets are counted in this process's memory (express-rate-limit): no Redis round trip on
 * the webhook's hot path, and a Redis outage cannot turn into refusals. N processes allow N
 * times each setting. A setting of 0 turns its budget off. Health and metrics are never
 * limited: a balancer's probes must always get through.
 */
export interface RateLimits {
  signedDelivery: RequestHandler;
  apiCaller: RequestHandler;
  authFailure: RequestHandler;
}

const pass: RequestHandler = (_req, _res, next) => next();

export function createRateLimits(opts: {
  config: RateLimitConfig;
  metrics: Metrics;
  logger: Logger;
}): RateLimits {
  const { config, metrics, logger } = opts;
  const limiter = (
    limit: number,
    name: string,
    key: (req: Request) => string,
    onLimited: (req: Request) => void,
    message: string,
  ): RequestHandler => {
    if (limit <= 0) return pass;
    const property = `rateLimit_${name}`;
    return rateLimit({
      windowMs: config.RATE_LIMIT_WINDOW_MS,
      limit,
      // No RateLimit-* headers on every answer (the webhook path is hot); Retry-After on 429.
      standardHeaders: false,
      legacyHeaders: false,
      // Several budgets may see one request: each keeps its own figures.
      requestPropertyName: property,
      keyGenerator: key,
      // Misconfiguration warnings (e.g. X-Forwarded-For with no trusted proxy) go to our log.
      logger: {
        warn: (err: unknown) => logger.warn({ err: String(err) }, 'rate limit configuration'),
        error: (err: unknown) => logger.error({ err: String(err) }, 'rate limit configuration'),
      },
      handler: (req, res, _next, used) => {
        onLimited(req);
        const info = (req as unknown as Record<string, RateLimitInfo | undefined>)[property];
        const waitMs = info?.resetTime ? info.resetTime.getTime() - Date.now() : used.windowMs;
        res.setHeader('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
        sendError(res, used.statusCode, 'rate_limited', message);
      },
    });
  };

  return {
    signedDelivery: limiter(
      config.WEBHOOK_RATE_LIMIT,
      'signed',
      () => 'signed-deliveries',
      () => metrics.webhookDeliveries.inc({ outcome: 'rate_limited_429' }),
      'too many deliveries; retry after the Retry-After delay',
    ),
    apiCaller: limiter(
      config.API_RATE_LIMIT,
      'token',
      // One API token today; a second one would get a budget of its own under its own name.
      (req) => `token:${String((req.res?.locals as { principal?: string }).principal ?? 'api')}`,
      () => undefined,
      'too many requests with this token; retry after the Retry-After delay',
    ),
    authFailure: limiter(
      config.AUTH_FAILURE_RATE_LIMIT,
      'failures',
      // The client as `trust proxy` (TRUST_PROXY) names it; IPv6 clients by their /56.
      (req) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
      (req) => {
        if (req.originalUrl.startsWith('/webhooks/')) {
          metrics.webhookDeliveries.inc({ outcome: 'unauthenticated_429' });
        }
      },
      'too many failed authentications from this client; retry after the Retry-After delay',
    ),
  };
}
