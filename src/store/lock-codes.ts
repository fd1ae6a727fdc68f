import type { Redis } from 'ioredis';
import type { LockClaim, LockUsage } from '../domain/lock-limits';

// One hash per lock: field = creation tag (gc:<id>:<generation>), value = "<group>|<end ms>".
// Every script first drops the codes whose end has passed: they no longer count.
const PRUNE_AND_COUNT = `
local now = tonumber(ARGV[1])
local group = ARGV[2]
local total, inGroup, earliest = 0, 0, nil
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local value = all[i + 1]
  local sep = string.find(value, '|[^|]*$')
  local g = string.sub(value, 1, sep - 1)
  local ends = tonumber(string.sub(value, sep + 1))
  if ends <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    total = total + 1
    if g == group then inGroup = inGroup + 1 end
    if earliest == nil or ends < earliest then earliest = ends end
  end
end
`;

// KEYS: lock hash. ARGV: now, group. Returns {total, inGroup, earliestEnd or -1}.
const USAGE = `${PRUNE_AND_COUNT}
return {total, inGroup, earliest or -1}
`;

// KEYS: lock hash. ARGV: now, group, tag, end ms, group limit, pin limit.
// Adds the claim when it fits (or is already there). Returns {added, total, inGroup, earliest}.
const RESERVE = `${PRUNE_AND_COUNT}
if redis.call('HEXISTS', KEYS[1], ARGV[3]) == 1 then return {1, total, inGroup, earliest or -1} end
if inGroup >= tonumber(ARGV[5]) or total >= tonumber(ARGV[6]) then
  return {0, total, inGroup, earliest or -1}
end
redis.call('HSET', KEYS[1], ARGV[3], group .. '|' .. ARGV[4])
local ttl = redis.call('PTTL', KEYS[1])
local wanted = tonumber(ARGV[4]) - now + 86400000
if ttl < wanted then redis.call('PEXPIRE', KEYS[1], wanted) end
return {1, total + 1, inGroup + 1, earliest or -1}
`;

function toUsage(reply: unknown): LockUsage {
  const [total, inGroup, earliest] = (reply as number[]).map(Number) as [number, number, number];
  return { total, inGroup, ...(earliest >= 0 ? { earliestEndMs: earliest } : {}) };
}

/**
 * The offline codes this service made on each lock, shared by every process through Redis, so
 * the per-lock limits (src/domain/lock-limits.ts) hold across workers. A code is claimed
 * atomically before its create is sent and counts until its end (offline codes cannot be
 * deleted); a create Seam refused releases its claim. The decision is the domain's: this only
 * counts, and adds a claim when the counts are under the limits it is given.
 */
export class LockCodeRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keyFor: (deviceId: string) => string,
  ) {}

  /** What counts on the lock now against `claim`'s limits. */
  async usage(deviceId: string, claim: LockClaim, nowMs = Date.now()): Promise<LockUsage> {
    return toUsage(
      await this.redis.eval(USAGE, 1, this.keyFor(deviceId), String(nowMs), claim.group),
    );
  }

  /**
   * Claims a place for the code made under `tag` when it fits, atomically across processes.
   * `added: true` also when the tag already holds one (a retried creation).
   */
  async reserve(
    deviceId: string,
    tag: string,
    claim: LockClaim,
    nowMs = Date.now(),
  ): Promise<{ added: boolean; usage: LockUsage }> {
    const reply = (await this.redis.eval(
      RESERVE,
      1,
      this.keyFor(deviceId),
      String(nowMs),
      claim.group,
      tag,
      String(claim.endsAtMs),
      String(claim.groupLimit),
      String(claim.pinLimit),
    )) as number[];
    const [added, ...rest] = reply;
    return { added: Number(added) === 1, usage: toUsage(rest) };
  }

  /** Gives the place back: Seam refused the create, so no code was made. */
  async release(deviceId: string, tag: string): Promise<void> {
    await this.redis.hdel(this.keyFor(deviceId), tag);
  }
}
