import type { Redis } from 'ioredis';
import type { SeamEventJob } from '../queues/jobs';

export const IGNORED_EVENTS_KEPT = 1000;

/** Events for access codes this service did not create: kept (capped) so ops can see them. */
export class IgnoredEvents {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async record(event: SeamEventJob): Promise<void> {
    const entry = {
      event_id: event.event_id,
      event_type: event.event_type,
      access_code_id: event.access_code_id,
      device_id: event.device_id,
      received_at: event.received_at,
    };
    await this.redis
      .multi()
      .lpush(this.key, JSON.stringify(entry))
      .ltrim(this.key, 0, IGNORED_EVENTS_KEPT - 1)
      .exec();
  }

  async list(limit = 100): Promise<Record<string, string>[]> {
    return (await this.redis.lrange(this.key, 0, limit - 1)).map((r) => JSON.parse(r));
  }
}
