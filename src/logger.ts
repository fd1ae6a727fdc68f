import pino, { type Logger } from 'pino';

/**
 * One place for what must never reach a log line. A PIN travels as `code` (and inside
 * `changed_properties`), so no raw Seam payload is ever logged: these paths are the backstop.
 */
export const REDACT_PATHS = [
  'code',
  '*.code',
  '*.*.code',
  'pin',
  '*.pin',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'password',
  '*.password',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["svix-signature"]',
  'req.headers["webhook-signature"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

export function createLogger(opts: { level: string; name?: string }): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Asynchronous writes: a request does not wait for a write(2) of its log line, and lines
    // logged while one write is in flight go out together. pino flushes what is left
    // synchronously when the process exits.
    pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * What of an error may be logged: its type and its message, never the object. A Redis client's
 * error carries the command and its arguments (a guest's name, email and phone in a record
 * write); other libraries attach requests, bodies or sockets.
 */
export function errorFields(err: unknown): { type: string; message: string } {
  if (err instanceof Error) return { type: err.name, message: err.message.slice(0, 500) };
  return { type: typeof err, message: 'non-error thrown' };
}

export type { Logger };
