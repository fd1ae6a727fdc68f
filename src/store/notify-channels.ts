import type { Redis } from 'ioredis';
import { NOTIFY_CHANNELS, type NotifyChannel } from '../domain/notification-channel';

/** How long one announcement counts; workers repeat theirs every third of it. */
export const NOTIFY_CHANNELS_TTL_MS = 90_000;

/**
 * The notification channels the workers have, announced in Redis (`<prefix>:notify-channels`,
 * a hash: channel -> the time in ms until which it counts), so an API process that runs apart
 * from the workers, with none of their SMTP or webhook settings, can refuse a guest nothing
 * would tell. Each worker announces its channels at start and every `ttlMs / 3`; a channel no
 * worker has announced for `ttlMs` no longer counts, and the key itself expires `ttlMs` after
 * the last announcement. Every worker should run with the same notification settings: the
 * answer is the union of what the live ones announced.
 */
export class NotifyChannelRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs = NOTIFY_CHANNELS_TTL_MS,
  ) {}

  async announce(channels: readonly NotifyChannel[], nowMs: number): Promise<void> {
    if (channels.length === 0) return;
    const until = String(nowMs + this.ttlMs);
    const tx = this.redis.multi();
    for (const channel of channels) tx.hset(this.key, channel, until);
    await tx.pexpire(this.key, this.ttlMs).exec();
  }

  /** The channels some live worker announced; undefined when none did (no worker running). */
  async live(nowMs: number): Promise<NotifyChannel[] | undefined> {
    const announced = await this.redis.hgetall(this.key);
    const live = NOTIFY_CHANNELS.filter((c) => Number(announced[c] ?? 0) > nowMs);
    return live.length > 0 ? live : undefined;
  }

  /** Announces now and every `ttlMs / 3` until stopped; a failed announcement is retried then. */
  keepAnnouncing(
    channels: readonly NotifyChannel[],
    onError: (err: unknown) => void,
  ): { stop(): void } {
    const announce = () => this.announce(channels, Date.now()).catch(onError);
    void announce();
    const timer = setInterval(() => void announce(), Math.max(1000, Math.floor(this.ttlMs / 3)));
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
}
