import type { ErrorRequestHandler, Response } from 'express';
import { errorFields, type Logger } from '../logger';
import { redisRefusal, type RedisRefusal } from '../redis/connections';

/**
 * One item of `error.details`: what is wrong (`message`), and where it applies: the request
 * `field`, a rule's `code`, and what else that answer names (e.g. `guest_code_id`).
 */
export interface ErrorDetail {
  message: string;
  field?: string;
  code?: string;
  [more: string]: unknown;
}

/**
 * Every error answer has one shape: `{ "error": { "code", "message", "details" } }`, and
 * `details` is always a list of ErrorDetail (empty when there is nothing more to say), so a
 * client reads every error the same way.
 */
export interface ApiErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  // Items are ErrorDetail-shaped (a message, and more); typed loosely so that domain types
  // such as RuleViolation pass without an index signature.
  details: readonly object[] = [],
): void {
  const body: ApiErrorBody = { error: { code, message, details: [...details] as ErrorDetail[] } };
  res.status(status).json(body);
}

/** The codes a body that cannot be read gets (body-parser's error types, dots as `_`). */
export const UNREADABLE_BODY_CODES = {
  400: ['entity_parse_failed', 'request_aborted', 'request_size_invalid', 'bad_request'],
  415: ['encoding_unsupported', 'charset_unsupported'],
} as const;
const KNOWN_BODY_CODES = new Set<string>([
  ...UNREADABLE_BODY_CODES[400],
  ...UNREADABLE_BODY_CODES[415],
]);

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** Seconds a client is asked to wait when Redis refused: Svix and the booking system retry. */
export const REDIS_RETRY_AFTER_SECONDS = 5;

/**
 * Reports a Redis refusal: counted every time (`onRefusal`, for the metric an alert watches),
 * logged at error level at most once per reason every 10 s, with the reason and the error's
 * type and message only.
 */
export function redisRefusalReporter(
  logger: Logger,
  onRefusal?: (reason: RedisRefusal) => void,
): (reason: RedisRefusal, err: unknown) => void {
  const lastLogged = new Map<RedisRefusal, number>();
  return (reason, err) => {
    onRefusal?.(reason);
    const now = Date.now();
    if (now - (lastLogged.get(reason) ?? 0) < 10_000) return;
    lastLogged.set(reason, now);
    logger.error(
      { reason, err: errorFields(err) },
      reason === 'oom'
        ? 'Redis refused a write: it is full (maxmemory, noeviction); answering 503 until it has room'
        : `Redis refused a command (${reason}); answering 503`,
    );
  };
}

/**
 * Last-resort mapping: Redis refusals are 503 with Retry-After, body parser errors keep their
 * 4xx, anything else is a 500. Errors are logged as type and message only.
 */
export function errorHandler(
  logger: Logger,
  reportRefusal: (reason: RedisRefusal, err: unknown) => void = redisRefusalReporter(logger),
): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const e = (err ?? {}) as HttpishError;
    const status = e.status ?? e.statusCode ?? 500;
    if (res.headersSent) {
      res.end();
      return;
    }
    const refusal = redisRefusal(err);
    if (refusal) {
      reportRefusal(refusal, err);
      res.setHeader('Retry-After', String(REDIS_RETRY_AFTER_SECONDS));
      sendError(res, 503, 'unavailable', 'storage is unavailable; retry later');
    } else if (status === 413) {
      sendError(res, 413, 'body_too_large', 'request body exceeds the size limit');
    } else if (status >= 400 && status < 500) {
      // Only codes the API documents: an unexpected body-parser type reads as bad_request.
      const code = e.type?.replace(/\./g, '_') ?? 'bad_request';
      sendError(
        res,
        status,
        KNOWN_BODY_CODES.has(code) ? code : 'bad_request',
        'request could not be read',
      );
    } else {
      logger.error({ err: errorFields(err) }, 'unhandled error');
      sendError(res, 500, 'internal', 'internal error');
    }
  };
}
