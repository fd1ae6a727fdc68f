import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from '../logger';
import type { RedisRefusal } from '../redis/connections';
import { errorHandler, redisRefusalReporter, sendError } from './errors';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const QUIET_PATHS = new Set(['/healthz', '/metrics']);

declare module 'node:http' {
  interface IncomingMessage {
    /** A logger bound to this request's id (made on first use). */
    log: Logger;
  }
}

const REQUEST_ID_KEY = Symbol('requestId');
const LOGGER_KEY = Symbol('requestLogger');
const CHILD_KEY = Symbol('requestChildLogger');

interface LoggedRequest {
  [REQUEST_ID_KEY]?: string;
  [LOGGER_KEY]?: Logger;
  [CHILD_KEY]?: Logger;
}

/**
 * `req.log` is a getter on Express's request prototype (`express.request`, which every app's
 * and sub-app's request prototype inherits), defined once. Defining it on each request with
 * `Object.defineProperty` and a fresh getter gave every request object a shape of its own, so
 * V8 could reuse no optimised property access on it: a cost paid by every request, logged or
 * not. The request carries its id and logger in two symbol-keyed fields instead, and the child
 * logger is still made only on first use.
 */
function installRequestLogGetter(): void {
  if (Object.prototype.hasOwnProperty.call(express.request, 'log')) return;
  Object.defineProperty(express.request, 'log', {
    configurable: true,
    get(this: LoggedRequest): Logger | undefined {
      const logger = this[LOGGER_KEY];
      if (!logger) return undefined;
      return (this[CHILD_KEY] ??= logger.child({ reqId: this[REQUEST_ID_KEY] }));
    },
  });
}

/**
 * One line per request when it ends, with the request id, method, path, status and time:
 * what pino-http wrote, at a fraction of its cost on the webhook hot path (no child logger per
 * request unless a handler logs, no request serializers, one listener). The line goes through
 * the service logger, so its redaction applies.
 */
export function requestLog(logger: Logger): RequestHandler {
  installRequestLogGetter();
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', id);
    const logged = req as LoggedRequest;
    logged[REQUEST_ID_KEY] = id;
    logged[LOGGER_KEY] = logger;
    const url = req.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (QUIET_PATHS.has(path)) {
      next();
      return;
    }
    const startedAt = performance.now();
    res.once('close', () => {
      const status = res.statusCode;
      const line = {
        req: { id, method: req.method, path },
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - startedAt),
      };
      if (!res.writableFinished) logger.warn(line, 'request aborted');
      else if (status >= 500) logger.error(line, 'request completed');
      else if (status >= 400) logger.warn(line, 'request completed');
      else logger.info(line, 'request completed');
    });
    next();
  };
}

/**
 * The express application: one JSON log line per request, a request id (the caller's
 * `x-request-id` when it is sane), the given routers, and uniform errors.
 * Request logs carry method, path, status and time only: no headers, no bodies.
 */
export function createHttpApp(
  logger: Logger,
  routers: Router[],
  reportRedisRefusal: (reason: RedisRefusal, err: unknown) => void = redisRefusalReporter(logger),
): Express {
  const app = express();
  app.disable('x-powered-by');
  // Nobody may name the client in X-Forwarded-For unless the ingress says so (TRUST_PROXY).
  app.set('trust proxy', false);

  app.use(requestLog(logger));

  for (const router of routers) app.use(router);
  app.use((_req, res) => sendError(res, 404, 'not_found', 'no such endpoint'));
  app.use(errorHandler(logger, reportRedisRefusal));
  return app;
}
