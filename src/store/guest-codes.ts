import type { Redis } from 'ioredis';
import {
  GUEST_CODE_STATUSES,
  isTerminal,
  type GuestCode,
  type GuestCodeStatus,
  type TimelineEntry,
} from '../domain/guest-code';
import { storeKeys, type StoreKeys } from './keys';

/**
 * Guest code records in Redis. A record is one JSON document with a version; every write is
 * a compare-and-set in a Lua script that also appends the timeline (capped), maintains the
 * indexes (by reference, by Seam access_code_id), the set of open codes the sweeper walks and
 * the count of records per status. So a reader never sees a record without its index, and two
 * writers never both win. A finished record expires (with its timeline and indexes) a retention
 * period after its stay ends, so Redis does not grow with every guest ever served.
 */

/** Timeline entries kept per guest code: the newest, so a flood of events cannot grow a record. */
export const TIMELINE_KEPT = 200;
/** How long a finished guest code stays readable after its stay ends. */
export const DEFAULT_RETENTION_MS = 30 * 24 * 3600_000;

// KEYS: record, timeline, open set, status counts, reference index, [access code indexes...]
// ARGV: expected version ('0' = must not exist), document, score for the open set ('' = closed),
//       timeline entries (JSON array), new status, id, timeline cap, expire-at ms ('' = keep)
const SAVE = `
local current = redis.call('HGET', KEYS[1], 'version')
if current ~= ARGV[1] then return 0 end
local before = cjson.decode(redis.call('HGET', KEYS[1], 'doc')).status
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'version', cjson.decode(ARGV[2]).version)
if before ~= ARGV[5] then
  redis.call('HINCRBY', KEYS[4], before, -1)
  redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
end
local entries = cjson.decode(ARGV[4])
for i = 1, #entries do redis.call('RPUSH', KEYS[2], cjson.encode(entries[i])) end
if #entries > 0 then redis.call('LTRIM', KEYS[2], -tonumber(ARGV[7]), -1) end
if ARGV[3] == '' then redis.call('ZREM', KEYS[3], ARGV[6]) else redis.call('ZADD', KEYS[3], ARGV[3], ARGV[6]) end
for i = 6, #KEYS do redis.call('SET', KEYS[i], ARGV[6]) end
local keep = {KEYS[1], KEYS[2], KEYS[5]}
for i = 6, #KEYS do keep[#keep + 1] = KEYS[i] end
for i = 1, #keep do
  if ARGV[8] == '' then redis.call('PERSIST', keep[i]) else redis.call('PEXPIREAT', keep[i], ARGV[8]) end
end
return 1
`;

// KEYS: reference index, record, timeline, open set, status counts
// ARGV: id, document, timeline entry, score, status
const CREATE_IF_ABSENT = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'doc', ARGV[2], 'version', 1)
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('HINCRBY', KEYS[5], ARGV[5], 1)
return ARGV[1]
`;

// KEYS: timeline. ARGV: entry, cap. Only while the record exists (an expired one stays gone).
const NOTE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
return 1
`;

export class ConcurrentUpdateError extends Error {}

export type Mutation =
  { record: GuestCode; timeline: TimelineEntry[]; indexAccessCodes?: string[] } | undefined;

export class GuestCodeStore {
  private readonly keys: StoreKeys;

  private readonly retentionMs: number;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    opts: { retentionMs?: number } = {},
  ) {
    this.keys = storeKeys(prefix);
    this.retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  /** Records a new guest code unless its reference is taken; returns the one that holds it. */
  async createIfAbsent(
    record: GuestCode,
    entry: TimelineEntry,
  ): Promise<{ created: boolean; record: GuestCode }> {
    const id = (await this.redis.eval(
      CREATE_IF_ABSENT,
      5,
      this.keys.byReference(record.reference),
      this.keys.guestCode(record.id),
      this.keys.timeline(record.id),
      this.keys.openCodes,
      this.keys.statusCounts,
      record.id,
      JSON.stringify({ ...record, version: 1 }),
      JSON.stringify(entry),
      String(Date.parse(record.created_at)),
      record.status,
    )) as string;
    if (id === record.id) return { created: true, record: { ...record, version: 1 } };
    const existing = await this.get(id);
    if (!existing) throw new Error(`reference index points to a missing record ${id}`);
    return { created: false, record: existing };
  }

  async get(id: string): Promise<GuestCode | undefined> {
    const doc = await this.redis.hget(this.keys.guestCode(id), 'doc');
    return doc ? (JSON.parse(doc) as GuestCode) : undefined;
  }

  async getByReference(reference: string): Promise<GuestCode | undefined> {
    const id = await this.redis.get(this.keys.byReference(reference));
    return id ? this.get(id) : undefined;
  }

  async getByAccessCode(accessCodeId: string): Promise<GuestCode | undefined> {
    const id = await this.redis.get(this.keys.byAccessCode(accessCodeId));
    return id ? this.get(id) : undefined;
  }

  async timeline(id: string): Promise<TimelineEntry[]> {
    const rows = await this.redis.lrange(this.keys.timeline(id), 0, -1);
    return rows.map((r) => JSON.parse(r) as TimelineEntry);
  }

  /** The ids of open guest codes, oldest first, at most `limit` (see scanOpen for all). */
  async openIds(limit = 10_000): Promise<string[]> {
    return this.redis.zrange(this.keys.openCodes, 0, String(limit - 1));
  }

  /** How many guest codes are open. */
  async openCount(): Promise<number> {
    return this.redis.zcard(this.keys.openCodes);
  }

  /**
   * One step through the open set (ZSCAN): every code open for the whole walk is returned at
   * least once, whatever joins or leaves meanwhile; `cursor` '0' starts and ends a walk.
   */
  async scanOpen(cursor: string, count: number): Promise<{ cursor: string; ids: string[] }> {
    const [next, flat] = await this.redis.zscan(this.keys.openCodes, cursor, 'COUNT', count);
    const ids: string[] = [];
    for (let i = 0; i < flat.length; i += 2) ids.push(flat[i]!);
    return { cursor: next, ids };
  }

  /** Several records in one round trip. */
  async getMany(ids: string[]): Promise<(GuestCode | undefined)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.guestCode(id), 'doc');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, doc]) => {
      if (err) throw err;
      return typeof doc === 'string' ? (JSON.parse(doc) as GuestCode) : undefined;
    });
  }

  /**
   * Read-modify-write with optimistic concurrency: `change` sees the current record and
   * returns the new one (or undefined for no change); on a concurrent write it runs again.
   */
  async update(
    id: string,
    change: (current: GuestCode) => Mutation,
    maxTries = 10,
  ): Promise<GuestCode | undefined> {
    for (let i = 0; i < maxTries; i++) {
      const current = await this.get(id);
      if (!current) return undefined;
      const m = change(current);
      if (!m) return current;
      const next: GuestCode = { ...m.record, version: current.version + 1 };
      // Every access code ever tracked keeps its index, and expires with the record.
      const acIds = [
        ...new Set([
          ...next.access_codes.map((c) => c.access_code_id),
          ...(m.indexAccessCodes ?? []),
        ]),
      ];
      const ok = await this.redis.eval(
        SAVE,
        5 + acIds.length,
        this.keys.guestCode(id),
        this.keys.timeline(id),
        this.keys.openCodes,
        this.keys.statusCounts,
        this.keys.byReference(current.reference),
        ...acIds.map((ac) => this.keys.byAccessCode(ac)),
        String(current.version),
        JSON.stringify(next),
        isTerminal(next.status) ? '' : String(Date.parse(next.created_at)),
        JSON.stringify(m.timeline),
        next.status,
        id,
        String(TIMELINE_KEPT),
        this.expiresAt(next),
      );
      if (ok === 1) return next;
    }
    throw new ConcurrentUpdateError(
      `guest code ${id} kept changing; gave up after ${maxTries} tries`,
    );
  }

  /** Appends to the timeline without touching the record (events we only note). */
  async note(id: string, entry: TimelineEntry): Promise<void> {
    await this.redis.eval(NOTE, 1, this.keys.timeline(id), JSON.stringify(entry), TIMELINE_KEPT);
  }

  /** How many records are in each status, kept by the write scripts (no scan). */
  async statusCounts(): Promise<Record<GuestCodeStatus, number>> {
    const raw = await this.redis.hgetall(this.keys.statusCounts);
    const counts = {} as Record<GuestCodeStatus, number>;
    for (const status of GUEST_CODE_STATUSES)
      counts[status] = Math.max(0, Number(raw[status] ?? 0));
    return counts;
  }

  /** A finished record is kept until its stay is over plus the retention period. */
  private expiresAt(record: GuestCode): string {
    if (!isTerminal(record.status)) return '';
    const stayEnds = Date.parse(record.plan.ends_at);
    return String(Math.max(Date.now(), Number.isNaN(stayEnds) ? 0 : stayEnds) + this.retentionMs);
  }
}
