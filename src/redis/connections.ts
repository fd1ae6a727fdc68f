import { withTimeout } from '../util/timeout';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * Where Redis is: one server (`REDIS_URL`), a master group found through Sentinel
 * (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`), or a cluster (`REDIS_CLUSTER_NODES`). Every connection of the service is made here
 * from one of these, so ingress, API, workers, metrics, dashboard and BullMQ all follow the
 * same topology.
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      /** The master group name (`sentinel monitor <name> ...`). */
      name: string;
      sentinelPassword?: string;
      /** The password of the Redis servers themselves (primary and replicas). */
      password?: string;
    }
  | {
      kind: 'cluster';
      /** Some nodes of the cluster; the others are learnt from them (CLUSTER SLOTS). */
      nodes: HostPort[];
      password?: string;
    };

export interface HostPort {
  host: string;
  port: number;
}

/**
 * The two kinds of Redis connection this service opens.
 *
 * - A request-path connection (ingress, API): fails fast. With the offline queue off, a
 *   command sent while Redis is unreachable is rejected at once, and `commandTimeout` bounds
 *   a Redis that accepted the socket but does not answer. The caller turns either into a 503
 *   so Svix retries: a delivery is never acknowledged without Redis holding it.
 * - A worker connection: patient. BullMQ workers need `maxRetriesPerRequest: null` so their
 *   blocking commands survive reconnects.
 *
 * `url` is the single server's address; `target` (when given) wins over it.
 */
export interface ConnectionSettings {
  url?: string;
  target?: RedisTarget;
  commandTimeoutMs: number;
}

const common: RedisOptions = {
  // Reconnect forever with a capped delay: the service recovers when Redis returns.
  retryStrategy: (times) => Math.min(times * 100, 2000),
  lazyConnect: false,
};

/** The topology a connection is for: `target`, else the single server at `url`. */
export function targetOf(s: ConnectionSettings): RedisTarget {
  if (s.target) return s.target;
  if (!s.url) throw new Error('a Redis connection needs a url or a target');
  return { kind: 'single', url: s.url };
}

/**
 * What Sentinel mode adds to a connection's options. A single server's options stay exactly
 * what they were before Sentinel support (nothing here applies to them).
 *
 * - ioredis asks the sentinels for the current master at every (re)connect, and checks the
 *   server it reached says `role:master`. A dead primary breaks the socket; until the sentinels
 *   promote a replica they still name the dead one, the connect fails and is retried, and the
 *   first connect after the promotion reaches the new primary. A demoted primary that is still
 *   alive has its clients killed by Sentinel (`CLIENT KILL TYPE normal` with its REPLICAOF), so
 *   they reconnect too.
 * - ioredis's `failoverDetector` (subscribe to `+switch-master`) stays off: its message can
 *   arrive while the connection is between two connect attempts (asking a sentinel), and its
 *   disconnect then ends that connection for good ("Connection is closed." on every command,
 *   seen in test/reliability/sentinel-failover.test.ts: an ingress that never accepted a
 *   delivery again).
 * - A command answered READONLY was sent to a server that is now a replica (the old primary,
 *   demoted, or a promotion in progress): the connection is dropped and made again through the
 *   sentinels. `1` = reconnect and fail the command (never resend it: the caller answers 503
 *   and the client retries; a worker's BullMQ loop retries on its own).
 */
function topologyOptions(target: RedisTarget & { kind: 'sentinel' }): RedisOptions {
  return {
    sentinels: target.sentinels,
    name: target.name,
    role: 'master',
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.password ? { password: target.password } : {}),
    failoverDetector: false,
    // All sentinels unreachable: keep asking (ioredis's default gives up after a while).
    sentinelRetryStrategy: (times) => Math.min(times * 100, 2000),
    reconnectOnError: (err) => (/^READONLY\b/.test(err.message) ? 1 : false),
  };
}

/** A connection with `opts` to `target`; a single server's is exactly `new Redis(url, opts)`. */
function connect(target: RedisTarget, opts: RedisOptions): Redis {
  if (target.kind === 'single') return new Redis(target.url, opts);
  if (target.kind === 'cluster') return connectCluster(target, opts);
  return new Redis({ ...opts, ...topologyOptions(target) });
}

/**
 * A cluster connection with the same behaviour as `opts` describes for one server: the
 * offline queue and auto-pipelining are the cluster's own options, the rest applies to each
 * node's connection. A MOVED or ASK reply is followed by ioredis (and the slot map refreshed);
 * a failover inside the cluster is a MOVED / CLUSTERDOWN / a broken node connection, each a 503
 * on the request path until the slot map names the new master.
 *
 * The service's parts are typed against ioredis's `Redis`; the cluster client answers the same
 * commands (every key of ours and BullMQ's hashes to one slot, `{prefix}`), so it is handed
 * out as one. BullMQ takes either.
 */
function connectCluster(target: RedisTarget & { kind: 'cluster' }, opts: RedisOptions): Redis {
  const { enableOfflineQueue, enableAutoPipelining, retryStrategy: _r, ...nodeOptions } = opts;
  const cluster = new Cluster(target.nodes, {
    enableOfflineQueue,
    enableAutoPipelining,
    clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
    lazyConnect: false,
    redisOptions: {
      ...nodeOptions,
      ...(target.password ? { password: target.password } : {}),
    },
  });
  return cluster as unknown as Redis;
}

export function createRequestPathConnection(s: ConnectionSettings, name: string): Redis {
  return connect(targetOf(s), {
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
  return connect(targetOf(s), {
    ...common,
    connectionName: name,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
  });
}

/**
 * How many replicas must hold a write before the client hears it was taken (`WAIT`).
 * `replicas: 0` = the primary alone, as a single server.
 */
export interface ReplicaAck {
  replicas: number;
  timeoutMs: number;
  /** Cluster mode: a key of the one slot every key of ours is in (`{prefix}`): the `WAIT`
   *  goes to that slot's master, on the node connection the writes went through. */
  slotKey?: string;
}

/** The write was made on the primary but not confirmed by enough replicas in time. */
export class ReplicaAckError extends Error {
  constructor(
    readonly wanted: number,
    readonly reached: number,
    timeoutMs: number,
  ) {
    super(`NOREPLICAS write reached ${reached} of ${wanted} replica(s) within ${timeoutMs} ms`);
    this.name = 'ReplicaAckError';
  }
}

/**
 * The connection for writes that are acknowledged to a client (a delivery's 2xx, the API's
 * 202), when REDIS_MIN_REPLICAS_ACK > 0: request-path options, and a command timeout that
 * leaves room for `WAIT`.
 *
 * `WAIT` covers the writes made on the connection that calls it (Redis remembers each
 * client's replication offset), so the write and its `WAIT` must go through this one
 * connection; and `WAIT` blocks that connection until it returns, which is why it is a
 * connection of its own: reads, health checks and the metrics never queue behind it.
 */
export function createDurableWriteConnection(
  s: ConnectionSettings,
  ack: ReplicaAck,
  name: string,
): Redis {
  return createRequestPathConnection(
    { ...s, commandTimeoutMs: s.commandTimeoutMs + ack.timeoutMs },
    name,
  );
}

/** The replica acknowledgement the settings ask for (0 replicas: none, today's behaviour). */
export function replicaAck(config: {
  REDIS_MIN_REPLICAS_ACK: number;
  REDIS_REPLICA_ACK_TIMEOUT_MS: number;
  REDIS_CLUSTER_NODES?: unknown;
  QUEUE_PREFIX: string;
}): ReplicaAck {
  return {
    replicas: config.REDIS_MIN_REPLICAS_ACK,
    timeoutMs: config.REDIS_REPLICA_ACK_TIMEOUT_MS,
    // Cluster mode: every key is in the slot of the hash-tagged prefix.
    ...(config.REDIS_CLUSTER_NODES ? { slotKey: config.QUEUE_PREFIX } : {}),
  };
}

/**
 * Waits until `ack.replicas` replicas have every write this connection made so far, else
 * throws ReplicaAckError (the caller answers 503: the client retries, and the retry finds the
 * write, deduplicated, or makes it again). Nothing to wait for when `ack.replicas` is 0.
 */
export async function confirmReplicated(conn: Redis, ack: ReplicaAck): Promise<void> {
  if (ack.replicas <= 0) return;
  const on = conn instanceof Cluster ? await slotMaster(conn, ack) : conn;
  const reached = await on.wait(ack.replicas, ack.timeoutMs);
  if (reached < ack.replicas) throw new ReplicaAckError(ack.replicas, reached, ack.timeoutMs);
}

/**
 * The cluster client's own connection to the master of `ack.slotKey`'s slot: the connection
 * its writes to that slot went through (ioredis keeps one per node), so `WAIT` on it covers
 * them. A key has no command of its own to route `WAIT`, hence the lookup.
 */
async function slotMaster(cluster: Cluster, ack: ReplicaAck): Promise<Redis> {
  if (!ack.slotKey) throw new Error('cluster mode: a replica acknowledgement needs its slot key');
  const slot = CLUSTER_SLOTS.get(ack.slotKey) ?? (await keySlot(cluster, ack.slotKey));
  const master = cluster.slots[slot]?.[0];
  const node = cluster
    .nodes('master')
    .find((n) => `${n.options.host}:${n.options.port}` === master);
  // No master known for the slot (a failover in progress): the write is not confirmed.
  if (!node) throw new ReplicaAckError(ack.replicas, 0, ack.timeoutMs);
  return node;
}

const CLUSTER_SLOTS = new Map<string, number>();
async function keySlot(cluster: Cluster, key: string): Promise<number> {
  const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', key));
  CLUSTER_SLOTS.set(key, slot);
  return slot;
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
  // Like Redis's own NOREPLICAS (min-replicas-to-write): not enough replicas behind the primary.
  if (err instanceof ReplicaAckError) return 'masterdown';
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

/** Where a topology's Redis is, for a log line (addresses only, never a password). */
export function describeRedisTarget(target: RedisTarget): string {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (target.kind === 'sentinel') {
    return `master group ${target.name} via sentinels ${list(target.sentinels)}`;
  }
  if (target.kind === 'cluster') return `cluster nodes ${list(target.nodes)}`;
  return describeRedisUrl(target.url);
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
    /** The single server's URL, or the topology (`target` wins). */
    url: string;
    target?: RedisTarget;
    logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
    intervalMs?: number;
  },
): { stop(): void } {
  const where = opts.target ? describeRedisTarget(opts.target) : describeRedisUrl(opts.url);
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
