import type { Redis } from 'ioredis';

/** Event ids remembered per access code, to tell a re-sent event from a new one. */
const RECENT_EVENT_IDS = 32;

// KEYS: counters hash, recent event ids (sorted set: id -> its sequence number).
// ARGV: event id, ttl ms. Returns {1, new sequence} or {0, the sequence it was given before}.
const NOTE_EVENT = `
local known = redis.call('ZSCORE', KEYS[2], ARGV[1])
if known then return {0, tonumber(known)} end
local seq = redis.call('HINCRBY', KEYS[1], 'events', 1)
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -${RECENT_EVENT_IDS + 1})
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {1, seq}
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

  /**
   * Records an event and answers its sequence number. An event seen before keeps the number it
   * was given (`repeated`): its reconcile is then asked for again, and skips Seam if a fetch
   * already covered it, so a job retried after a crash still gets the read it was owed.
   */
  async noteEvent(
    accessCodeId: string,
    eventId: string,
  ): Promise<{ seq: number; repeated: boolean }> {
    const k = this.key(accessCodeId);
    const [fresh, seq] = (await this.redis.eval(
      NOTE_EVENT,
      2,
      k,
      `${k}:ids`,
      eventId,
      this.ttlMs,
    )) as [number, number];
    return { seq: Number(seq), repeated: fresh === 0 };
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
