import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Sliding window log. KEYS: window. ARGV: now ms, window ms, limit, member.
// Returns 0 when the call may go ahead (and records it), else ms until a slot frees.
const TAKE = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

/**
 * Seam allows 10 access code creations a minute per device; this keeps us under it across
 * every worker process, so a burst of bookings for one lock waits instead of meeting 429s.
 */
export class DeviceRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keyFor: (deviceId: string) => string,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** 0 when a call may go ahead now, else how long to wait. */
  async take(deviceId: string, nowMs = Date.now()): Promise<number> {
    return (await this.redis.eval(
      TAKE,
      1,
      this.keyFor(deviceId),
      String(nowMs),
      String(this.windowMs),
      String(this.limit),
      `${nowMs}-${randomUUID()}`,
    )) as number;
  }
}
