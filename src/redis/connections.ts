import { withTimeout } from '../util/timeout';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * The two kinds of Redis connection this service opens.
 *
 * - A request-path connection (ingress, API): fails fast. With the offline queue off, a
 *   command sent while Redis is unreachable is rejected at once, and `commandTimeout` bounds
 *   a Redis that accepted the socket but does not answer. The caller turns either into a 503
 *   so Svix retries: a delivery is never acknowledged without Redis holding it.
 * - A worker connection: patient. BullMQ workers need `maxRetriesPerRequest: null` so their
 *   blocking commands survive reconnects.
 */
export interface ConnectionSettings {
  url: string;
  commandTimeoutMs: number;
}

const common: RedisOptions = {
  // Reconnect forever with a capped delay: the service recovers when Redis returns.
  retryStrategy: (times) => Math.min(times * 100, 2000),
  lazyConnect: false,
};

export function createRequestPathConnection(s: ConnectionSettings, name: string): Redis {
  return new Redis(s.url, {
    ...common,
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Commands issued in the same tick (concurrent requests) share one write to the socket,
    // not one syscall each.
    enableAutoPipelining: true,
    commandTimeout: s.commandTimeoutMs,
    connectTimeout: Math.max(s.commandTimeoutMs, 1000),
  });
}

export function createWorkerConnection(s: ConnectionSettings, name: string): Redis {
  return new Redis(s.url, {
    ...common,
    connectionName: name,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
  });
}

/** Closes a connection politely, then forcibly if Redis is gone. */
export async function closeConnection(conn: Redis): Promise<void> {
  if (conn.status === 'end') return;
  try {
    // Bounded, and the bound's timer is cleared: a bare setTimeout in the race kept every
    // process (and every Jest worker) alive 500 ms after its last connection closed.
    await withTimeout(conn.quit(), 500, 'redis quit');
  } catch {
    // quit fails or times out when the connection is already down; disconnect is enough.
  }
  conn.disconnect();
}

/** Waits (bounded) for a connection to be usable; a Redis that is down at start is not fatal. */
export async function waitUntilReady(conn: Redis, timeoutMs: number): Promise<boolean> {
  if (conn.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      conn.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    conn.once('ready', onReady);
  });
}

/**
 * Why Redis did not take a command, when the cause is Redis and not the command: it is full
 * (`maxmemory` under noeviction), a read-only replica, still loading its data, without a
 * master, busy with a script, unable to persist, or not answering in time. The caller answers
 * 503 with Retry-After (the client retries, nothing is lost), never 500.
 */
export type RedisRefusal =
  'oom' | 'readonly' | 'loading' | 'masterdown' | 'busy' | 'misconf' | 'timeout' | 'unreachable';

export const REDIS_REFUSALS: readonly RedisRefusal[] = [
  'oom',
  'readonly',
  'loading',
  'masterdown',
  'busy',
  'misconf',
  'timeout',
  'unreachable',
];

/** Redis error replies by their first word (a script's error keeps the word of the call). */
const REPLY_REFUSALS: Record<string, RedisRefusal> = {
  OOM: 'oom',
  READONLY: 'readonly',
  LOADING: 'loading',
  MASTERDOWN: 'masterdown',
  NOREPLICAS: 'masterdown',
  CLUSTERDOWN: 'masterdown',
  TRYAGAIN: 'busy',
  BUSY: 'busy',
  MISCONF: 'misconf',
};

export function redisRefusal(err: unknown): RedisRefusal | undefined {
  if (!(err instanceof Error)) return undefined;
  const word = /^(?:ERR [^:]*: )?([A-Z]+)\b/.exec(err.message)?.[1];
  if (err.name === 'ReplyError' && word && REPLY_REFUSALS[word]) return REPLY_REFUSALS[word];
  if (err.name === 'TimeoutError' || /Command timed out/.test(err.message)) return 'timeout';
  if (
    err.name === 'MaxRetriesPerRequestError' ||
    /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET/.test(err.message)
  ) {
    return 'unreachable';
  }
  return undefined;
}

/** Errors that mean "Redis cannot take this now" (the caller should answer 503, not 500). */
export function isRedisUnavailable(err: unknown): boolean {
  return redisRefusal(err) !== undefined;
}

/** Where a Redis URL points, for a log line: host:port, whether a password is set, TLS. Never
 *  the password itself. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname.startsWith('[') ? u.hostname : u.hostname || '127.0.0.1';
    const port = u.port || '6379';
    const auth = u.password ? 'with a password' : 'no password';
    const db = u.pathname && u.pathname !== '/' ? `, db ${u.pathname.slice(1)}` : '';
    return `${host}:${port} (${auth}${u.protocol === 'rediss:' ? ', TLS' : ''}${db})`;
  } catch {
    return '(an unreadable REDIS_URL)';
  }
}

/** Errors that only say the connection is not there yet (logged by the waiting line instead). */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    redisRefusal(err) === 'unreachable' ||
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT|ENETUNREACH|connect ETIMEDOUT|Connection is closed/.test(
      err.message,
    )
  );
}

/**
 * While `conn` cannot reach Redis, logs one line every `intervalMs`: `waiting for Redis at
 * host:port (no password): <why>`, instead of an error per reconnect attempt and per worker;
 * then one line when it is reachable (again).
 */
export function reportRedisWaits(
  conn: Redis,
  opts: {
    url: string;
    logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
    intervalMs?: number;
  },
): { stop(): void } {
  const where = describeRedisUrl(opts.url);
  const intervalMs = opts.intervalMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  let lastError = 'not connected yet';
  const line = () =>
    opts.logger.warn({ redis: where }, `waiting for Redis at ${where}: ${lastError}`);
  const onError = (err: Error) => {
    lastError = err.message;
    if (timer || conn.status === 'ready') return;
    line();
    timer = setInterval(() => {
      if (conn.status !== 'ready') line();
    }, intervalMs);
    timer.unref();
  };
  const onReady = () => {
    if (!timer) return;
    clearInterval(timer);
    timer = undefined;
    opts.logger.info({ redis: where }, `Redis is reachable at ${where}`);
  };
  conn.on('error', onError);
  conn.on('ready', onReady);
  return {
    stop: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
      conn.off('error', onError);
      conn.off('ready', onReady);
    },
  };
}
