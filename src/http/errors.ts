import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from '../logger';
import { isRedisUnavailable } from '../redis/connections';

/** Every error answer has one shape: `{ "error": { "code", "message", "details"? } }`. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  details?: unknown,
): void {
  const body: ApiErrorBody = { error: { code, message } };
  if (details !== undefined) body.error.details = details;
  res.status(status).json(body);
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** Last-resort mapping: body parser errors keep their 4xx; anything else is a 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const e = (err ?? {}) as HttpishError;
    const status = e.status ?? e.statusCode ?? 500;
    if (res.headersSent) {
      res.end();
      return;
    }
    if (isRedisUnavailable(err)) {
      res.setHeader('Retry-After', '5');
      sendError(res, 503, 'unavailable', 'storage is unavailable; retry later');
    } else if (status === 413) {
      sendError(res, 413, 'body_too_large', 'request body exceeds the size limit');
    } else if (status >= 400 && status < 500) {
      sendError(
        res,
        status,
        e.type?.replace(/\./g, '_') ?? 'bad_request',
        'request could not be read',
      );
    } else {
      logger.error({ err }, 'unhandled error');
      sendError(res, 500, 'internal', 'internal error');
    }
  };
}
