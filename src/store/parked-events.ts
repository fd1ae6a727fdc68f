import type { Redis } from 'ioredis';
import { confirmReplicated, type ReplicaAck } from '../redis/connections';
import { withTimeout } from '../util/timeout';
import { storeKeys } from './keys';

export const PARKED_EVENTS_KEPT = 1000;

export interface ParkedEvent {
  delivery_id: string;
  received_at: string;
  reason: string;
  problems: string[];
  /** The payload with every PIN-bearing field removed, or the raw text's length if not JSON. */
  payload: unknown;
}

/** Authentic deliveries we could not use, kept (newest first, capped) for inspection. */
export class ParkedEvents {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly timeoutMs: number,
    /** Replicas that must have a parked event before its delivery is answered (`WAIT` on
     *  this same connection). */
    private readonly ack: ReplicaAck = { replicas: 0, timeoutMs: 0 },
  ) {
    this.key = storeKeys(prefix).parkedEvents;
  }

  async park(event: ParkedEvent): Promise<void> {
    await withTimeout(
      this.redis
        .multi()
        .lpush(this.key, JSON.stringify(event))
        .ltrim(this.key, 0, PARKED_EVENTS_KEPT - 1)
        .exec(),
      this.timeoutMs,
      'park event',
    );
    await confirmReplicated(this.redis, this.ack);
  }

  async list(limit = 100): Promise<ParkedEvent[]> {
    const rows = await this.redis.lrange(this.key, 0, limit - 1);
    return rows.map((r) => JSON.parse(r) as ParkedEvent);
  }
}
