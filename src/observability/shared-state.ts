import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import type { ShutdownStep } from '../process/shutdown';
import { QUEUE_KEYS } from '../queues/catalog';
import { catalogQueue } from '../queues/producers';
import {
  closeConnection,
  createRequestPathConnection,
  waitUntilReady,
  type RedisTarget,
} from '../redis/connections';
import { GuestCodeStore } from '../store/guest-codes';
import { QUEUE_STATES, type Metrics, type QueueState, type SharedStateSource } from './metrics';

/**
 * The Redis-backed figures of the metrics: job counts of every queue (BullMQ's own counters,
 * one script per queue) and guest codes per status (the store's count hash). Give it a
 * request-path connection, which fails fast rather than queueing commands while Redis is down.
 */
export function sharedStateSource(
  connection: Redis,
  prefix: string,
  store: Pick<GuestCodeStore, 'statusCounts' | 'oldestOpenSince'>,
): SharedStateSource & { close(): Promise<void> } {
  const queues = QUEUE_KEYS.map((key) => catalogQueue(key, connection, prefix));
  return {
    queueCounts: async () => {
      const all = await Promise.all(
        queues.map(async (q) => [q.name, await q.getJobCounts(...QUEUE_STATES)] as const),
      );
      return Object.fromEntries(all) as Record<string, Record<QueueState, number>>;
    },
    guestCodeCounts: async () => {
      // A fail-fast connection refuses commands until connected (a scrape right at start).
      if (connection.status !== 'ready') await waitUntilReady(connection, 5000);
      return store.statusCounts();
    },
    oldestOpenSince: async () => {
      if (connection.status !== 'ready') await waitUntilReady(connection, 5000);
      return store.oldestOpenSince();
    },
    close: async () => {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}

/**
 * Points the metrics' Redis-backed gauges at this deployment's Redis, on a connection of
 * their own (a scrape never waits behind queue traffic). Returns what closes it.
 */
export function watchSharedState(
  metrics: Metrics,
  opts: { target: RedisTarget; prefix: string; timeoutMs: number; logger: Logger },
): ShutdownStep[] {
  const redis = createRequestPathConnection(
    { target: opts.target, commandTimeoutMs: opts.timeoutMs },
    'metrics',
  );
  redis.on('error', (err) => opts.logger.debug({ err: err.message }, 'metrics redis error'));
  const source = sharedStateSource(redis, opts.prefix, new GuestCodeStore(redis, opts.prefix));
  metrics.watchSharedState(source, opts.timeoutMs);
  return [
    { name: 'metrics queues', run: () => source.close() },
    { name: 'metrics redis', run: () => closeConnection(redis) },
  ];
}
