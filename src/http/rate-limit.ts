import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
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
 * Budgets are counted in this process's memory: no Redis round trip on the webhook's hot
 * path, and a Redis outage cannot turn into refusals. N processes allow N times each setting.
 * A setting of 0 turns its budget off. Health and metrics are never limited: a balancer's
 * probes must always get through.
 */
export interface RateLimits {
  signedDelivery: RequestHandler;
  apiCaller: RequestHandler;
  authFailure: RequestHandler;
}

const pass: RequestHandler = (_req, _res, next) => next();

/**
 * Fixed windows per key, as express-rate-limit's MemoryStore counts them (which this replaced):
 * a key's window opens at its first hit and lasts `windowMs`, every hit counts (refused ones
 * too), and a key unseen for a whole window is forgotten. Counted synchronously: the
 * webhook's hot path no longer pays for the library's promise, request info object and
 * validation pass on every delivery.
 */
export class FixedWindows {
  private current = new Map<string, { hits: number; resetAt: number }>();
  private previous = new Map<string, { hits: number; resetAt: number }>();

  constructor(private readonly windowMs: number) {
    // Two generations, swapped every window: a key is dropped once unseen for a window.
    setInterval(() => {
      this.previous = this.current;
      this.current = new Map();
    }, windowMs).unref();
  }

  /** Counts a hit for `key`: the hits in its window so far and when the window ends. */
  hit(key: string, now = Date.now()): { hits: number; resetAt: number } {
    let w = this.current.get(key);
    if (!w) {
      w = this.previous.get(key) ?? { hits: 0, resetAt: now + this.windowMs };
      this.previous.delete(key);
      this.current.set(key, w);
    }
    if (w.resetAt <= now) {
      w.hits = 0;
      w.resetAt = now + this.windowMs;
    }
    w.hits += 1;
    return w;
  }
}

export function createRateLimits(opts: {
  config: RateLimitConfig;
  metrics: Metrics;
  logger: Logger;
}): RateLimits {
  const { config, metrics, logger } = opts;
  let warnedForwarded = false;
  const limiter = (
    limit: number,
    key: (req: Request) => string,
    onLimited: (req: Request) => void,
    message: string,
  ): RequestHandler => {
    if (limit <= 0) return pass;
    const windows = new FixedWindows(config.RATE_LIMIT_WINDOW_MS);
    return (req, res, next) => {
      if (!warnedForwarded && req.headers['x-forwarded-for'] && !req.app.get('trust proxy')) {
        // What express-rate-limit warned about: behind a proxy that TRUST_PROXY does not name,
        // every client shares the proxy's budget.
        warnedForwarded = true;
        logger.warn(
          {
            err: 'X-Forwarded-For is set but TRUST_PROXY is not: clients are counted by the proxy address',
          },
          'rate limit configuration',
        );
      }
      const w = windows.hit(key(req));
      if (w.hits <= limit) {
        next();
        return;
      }
      onLimited(req);
      // No RateLimit-* headers on every answer (the webhook path is hot); Retry-After on 429.
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil((w.resetAt - Date.now()) / 1000))));
      sendError(res, 429, 'rate_limited', message);
    };
  };

  return {
    signedDelivery: limiter(
      config.WEBHOOK_RATE_LIMIT,
      () => 'signed-deliveries',
      () => metrics.webhookDeliveries.inc({ outcome: 'rate_limited_429' }),
      'too many deliveries; retry after the Retry-After delay',
    ),
    apiCaller: limiter(
      config.API_RATE_LIMIT,
      // One API token today; a second one would get a budget of its own under its own name.
      (req) => `token:${String((req.res?.locals as { principal?: string }).principal ?? 'api')}`,
      () => undefined,
      'too many requests with this token; retry after the Retry-After delay',
    ),
    authFailure: limiter(
      config.AUTH_FAILURE_RATE_LIMIT,
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
