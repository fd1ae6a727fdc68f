import type { Redis } from 'ioredis';

/** Event ids remembered per access code, to tell a re-sent event from a new one. */
const RECENT_EVENT_IDS = 32;

// KEYS: counters hash, recent event ids list. ARGV: event id, ttl ms.
// Returns the event's sequence number, or 0 when this event id was already recorded.
const NOTE_EVENT = `
if redis.call('LPOS', KEYS[2], ARGV[1]) then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, ${RECENT_EVENT_IDS - 1})
local seq = redis.call('HINCRBY', KEYS[1], 'events', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return seq
`;

// KEYS: counters hash. ARGV: sequence the fetch covers, ttl ms. Only ever moves forward.
const MARK_FETCHED = `
local fetched = tonumber(redis.call('HGET', KEYS[1], 'fetched') or '0')
if tonumber(ARGV[1]) > fetched then redis.call('HSET', KEYS[1], 'fetched', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * Which webhook events a read of an access code from Seam has already covered, so a burst of
 * events about one code costs one fetch. Each new event gets a sequence number when it is
 * recorded; a fetch notes the highest number recorded before it started, because Seam's answer
 * then reflects at least that event. A reconcile for an event at or below that mark has nothing
 * left to learn. Sequence numbers, not clocks: Seam's clock and ours are never compared.
 */
export class AccessCodeFreshness {
  constructor(
    private readonly redis: Redis,
    private readonly key: (accessCodeId: string) => string,
    /** Forgotten this long after the last event; a forgotten code simply gets fetched. */
    private readonly ttlMs = 2 * 24 * 3600_000,
  ) {}

  /** Records an event; answers its sequence number, or undefined for an event seen before. */
  async noteEvent(accessCodeId: string, eventId: string): Promise<number | undefined> {
    const k = this.key(accessCodeId);
    const seq = Number(await this.redis.eval(NOTE_EVENT, 2, k, `${k}:ids`, eventId, this.ttlMs));
    return seq > 0 ? seq : undefined;
  }

  /** The newest event recorded so far: read before a fetch, marked after it. */
  async latestEvent(accessCodeId: string): Promise<number> {
    return Number((await this.redis.hget(this.key(accessCodeId), 'events')) ?? 0);
  }

  async markFetched(accessCodeId: string, seq: number): Promise<void> {
    if (seq <= 0) return;
    await this.redis.eval(MARK_FETCHED, 1, this.key(accessCodeId), seq, this.ttlMs);
  }

  async isCovered(accessCodeId: string, seq: number): Promise<boolean> {
    const fetched = Number((await this.redis.hget(this.key(accessCodeId), 'fetched')) ?? 0);
    return fetched >= seq;
  }
}
