import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { acceptSeamWebhook, type AcceptWebhookDeps } from '../flows/accept-webhook';
import { errorFields, type Logger } from '../logger';
import { redisRefusal, type RedisRefusal } from '../redis/connections';
import type { Metrics, WebhookOutcome } from '../observability/metrics';
import { REDIS_RETRY_AFTER_SECONDS, sendError } from './errors';
import { rawBody } from './raw-body';
import type { RateLimits } from './rate-limit';
import { SignatureVerifier, type HeaderCheck } from './webhook-signature';
import type { WebhookAnswer } from './webhook-schema';

const JSON_TYPE = 'application/json; charset=utf-8';

/** The four 200 answers, serialised once: the hot path writes bytes, not objects. */
const ANSWERS: Record<WebhookAnswer['outcome'], Buffer> = Object.fromEntries(
  (['accepted', 'duplicate', 'ignored', 'parked'] as const).map((outcome) => [
    outcome,
    Buffer.from(JSON.stringify({ ok: true, outcome } satisfies WebhookAnswer)),
  ]),
) as Record<WebhookAnswer['outcome'], Buffer>;

export interface WebhookRouteOptions {
  secret: string;
  bodyLimitBytes: number;
  deps: AcceptWebhookDeps;
  metrics: Metrics;
  logger: Logger;
  /** Budgets (see rate-limit.ts): signed deliveries, and failed verifications per client. */
  limits?: Pick<RateLimits, 'signedDelivery' | 'authFailure'>;
  /** Told when Redis refused a delivery (full, read-only, ...): the metric and the alert. */
  reportRedisRefusal?: (reason: RedisRefusal, err: unknown) => void;
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** The Svix headers of a webhook delivery, once they passed the cheap checks. */
    svixHeaders?: HeaderCheck & { ok: true };
  }
}

const pass: RequestHandler = (_req, _res, next) => next();

/**
 * POST /webhooks/seam. The answer tells Svix what to do: 2xx only once the event is durably
 * queued (or deliberately set aside), 401 for anything not signed by Seam, 503 when Redis
 * cannot take it (Svix retries; nothing is lost).
 */
export function webhookRoutes(opts: WebhookRouteOptions): Router {
  const verifier = new SignatureVerifier(opts.secret);
  const { metrics, logger } = opts;
  const router = Router();

  const observe = (outcome: WebhookOutcome, startedAt: bigint) => {
    metrics.webhookDeliveries.inc({ outcome });
    metrics.webhookDuration.observe({ outcome }, Number(process.hrtime.bigint() - startedAt) / 1e9);
  };

  const limits = opts.limits ?? { signedDelivery: pass, authFailure: pass };
  const refuse = (
    req: express.Request,
    res: express.Response,
    startedAt: bigint,
    reason: string,
  ) => {
    // A forged or broken request spends the failures' budget, never the signed deliveries'.
    void limits.authFailure(req, res, () => {
      observe('rejected_401', startedAt);
      req.log.warn({ reason }, 'webhook signature rejected');
      sendError(res, 401, 'invalid_signature', 'signature verification failed');
    });
  };

  // Headers and timestamp first: a request that cannot be authentic is refused before its
  // body is read, let alone hashed.
  const checkHeaders: RequestHandler = (req, res, next) => {
    const checked = verifier.checkHeaders(req.headers);
    if (!checked.ok) {
      refuse(req, res, process.hrtime.bigint(), checked.reason);
      return;
    }
    res.locals.svixHeaders = checked;
    next();
  };
  // The size limit is enforced while reading, before any verification work.
  const readBody = rawBody(opts.bodyLimitBytes);

  router.post('/webhooks/seam', checkHeaders, readBody, async (req, res) => {
    const startedAt = process.hrtime.bigint();
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifier.verifyBody(body, res.locals.svixHeaders!);
    if (!check.ok) {
      refuse(req, res, startedAt, check.reason);
      return;
    }
    // Only a delivery signed by Seam spends the deliveries' budget.
    let allowed = false;
    await limits.signedDelivery(req, res, () => {
      allowed = true;
    });
    if (!allowed) return;
    try {
      const result = await acceptSeamWebhook(opts.deps, {
        deliveryId: check.deliveryId,
        body,
        receivedAt: new Date(),
      });
      observe(result.outcome, startedAt);
      if (result.outcome === 'parked') {
        req.log.warn(
          { deliveryId: check.deliveryId, reason: result.reason },
          'webhook parked for inspection',
        );
      } else if (result.outcome === 'ignored') {
        req.log.info(
          { deliveryId: check.deliveryId, eventType: result.eventType },
          'webhook ignored',
        );
      }
      const answer = ANSWERS[result.outcome];
      res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': answer.length });
      res.end(answer);
    } catch (err) {
      // Not stored, so not acknowledged: Svix retries, nothing is lost. Whatever the cause.
      observe('unavailable_503', startedAt);
      const refusal = redisRefusal(err);
      if (refusal) opts.reportRedisRefusal?.(refusal, err);
      logger.warn(
        { deliveryId: check.deliveryId, reason: refusal ?? 'unexpected', err: errorFields(err) },
        'webhook not queued',
      );
      res.setHeader('Retry-After', String(REDIS_RETRY_AFTER_SECONDS));
      sendError(res, 503, 'unavailable', 'the event could not be stored; retry later');
    }
  });

  const tooLarge: ErrorRequestHandler = (err, _req, res, next) => {
    const status = (err as { status?: number }).status;
    if (status === 413) {
      metrics.webhookDeliveries.inc({ outcome: 'rejected_413' });
      sendError(
        res,
        413,
        'body_too_large',
        `webhook bodies are limited to ${opts.bodyLimitBytes} bytes`,
      );
      return;
    }
    next(err);
  };
  router.use('/webhooks/seam', tooLarge);
  return router;
}
