import type { Redis } from 'ioredis';

// KEYS: claim. ARGV: token, lease ms. Returns 'sent', 'busy' or 'claimed'.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v == 'sent' then return 'sent' end
if v then return 'busy' end
redis.call('SET', KEYS[1], 'sending:' .. ARGV[1], 'PX', ARGV[2])
return 'claimed'
`;
// KEYS: claim. ARGV: token. Deletes the claim only if it is still ours.
const RELEASE = `
if redis.call('GET', KEYS[1]) == 'sending:' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** How soon a `sent` mark that did not hold is written again. */
const MARK_RETRY_MS = 200;

/**
 * Exactly-once sending, as close as a network allows: a sender takes a leased claim before it
 * sends, marks it `sent` after, and releases it only when the send failed. A worker that dies
 * holding the claim loses it when the lease runs out, and BullMQ's stalled-job check hands the
 * job to another worker. The one gap left (a crash after the send and before the mark) is as
 * short as one Redis write.
 *
 * A `sent` mark is kept `sentTtlMs`, not for ever: it only has to outlive every job that could
 * try the same send again (a retry, a stalled job run elsewhere, a failed job retried from the
 * dashboard within its retention). The guest code record, which the sender reads first, says
 * "sent" for as long as the record itself exists.
 */
export class NotificationClaims {
  constructor(
    private readonly redis: Redis,
    private readonly leaseMs: number,
    private readonly sentTtlMs: number,
    /** With REDIS_MIN_REPLICAS_ACK: waits until the replicas hold this connection's writes
     *  (WAIT), and throws when they do not in time. */
    private readonly confirmReplicated?: () => Promise<void>,
  ) {}

  /**
   * Takes the claim. With replica acknowledgement, a claim is only `claimed` once the replicas
   * hold it: a failover right after would otherwise lose it, and a second sender, finding no
   * claim on the promoted replica, would send again. Not confirmed in time: given back, and
   * the error thrown (the job retries; nothing was sent).
   */
  async claim(key: string, token: string): Promise<'sent' | 'busy' | 'claimed'> {
    const outcome = (await this.redis.eval(CLAIM, 1, key, token, String(this.leaseMs))) as
      'sent' | 'busy' | 'claimed';
    if (outcome === 'claimed' && this.confirmReplicated) {
      try {
        await this.confirmReplicated();
      } catch (err) {
        await this.release(key, token).catch(() => undefined);
        throw err;
      }
    }
    return outcome;
  }

  /** How long the current holder's lease still runs (0 when none is left or nobody holds it). */
  async leaseLeftMs(key: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(key));
  }

  /**
   * Marks the claim `sent`, after the send. The message is out: a mark lost now (Redis
   * restarting, a failover under way, the mark not yet on the replicas) would let the next
   * sender send again once the lease runs out. So the mark is written again until it holds
   * (with replica acknowledgement: until the replicas have it), for most of the lease; only a
   * Redis away for longer than that leaves the gap open.
   */
  async markSent(key: string): Promise<void> {
    const deadline = Date.now() + this.leaseMs * 0.8;
    for (;;) {
      try {
        await this.redis.set(key, 'sent', 'PX', this.sentTtlMs);
        await this.confirmReplicated?.();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, MARK_RETRY_MS));
      }
    }
  }

  async release(key: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, key, token);
  }
}
