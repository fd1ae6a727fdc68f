import type { Redis } from 'ioredis';

export const IGNORED_EVENTS_KEPT = 1000;

/** What is kept of an event: enough to find it in Seam, never its payload. */
export interface IgnoredEvent {
  event_id: string;
  event_type: string;
  access_code_id: string;
  device_id: string;
  received_at: string;
}

/** Events for access codes this service did not create: kept (capped) so ops can see them. */
export class IgnoredEvents {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async record(event: IgnoredEvent): Promise<void> {
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
