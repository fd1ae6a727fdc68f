import type { Redis } from 'ioredis';
import { isTerminal, type GuestCode, type TimelineEntry } from '../domain/guest-code';
import { storeKeys, type StoreKeys } from './keys';

/**
 * Guest code records in Redis. A record is one JSON document with a version; every write is
 * a compare-and-set in a Lua script that also appends the timeline, maintains the indexes
 * (by reference, by Seam access_code_id) and the set of open codes the sweeper walks. So a
 * reader never sees a record without its index, and two writers never both win.
 */

// KEYS: record, timeline, open set, [reference index], [access code indexes...]
// ARGV: expected version ('0' = must not exist), document, score for the open set ('' = closed),
//       timeline entries (JSON array), reference, id, number of access code indexes
const SAVE = `
local current = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'version', cjson.decode(ARGV[2]).version)
local entries = cjson.decode(ARGV[4])
for i = 1, #entries do redis.call('RPUSH', KEYS[2], cjson.encode(entries[i])) end
if ARGV[3] == '' then redis.call('ZREM', KEYS[3], ARGV[6]) else redis.call('ZADD', KEYS[3], ARGV[3], ARGV[6]) end
local n = tonumber(ARGV[7])
for i = 1, n do redis.call('SET', KEYS[4 + i], ARGV[6]) end
return 1
`;

// KEYS: reference index, record, timeline, open set. ARGV: id, document, timeline entry, score
const CREATE_IF_ABSENT = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'doc', ARGV[2], 'version', 1)
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return ARGV[1]
`;

export class ConcurrentUpdateError extends Error {}

export type Mutation =
  { record: GuestCode; timeline: TimelineEntry[]; indexAccessCodes?: string[] } | undefined;

export class GuestCodeStore {
  private readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = storeKeys(prefix);
  }

  /** Records a new guest code unless its reference is taken; returns the one that holds it. */
  async createIfAbsent(
    record: GuestCode,
    entry: TimelineEntry,
  ): Promise<{ created: boolean; record: GuestCode }> {
    const id = (await this.redis.eval(
      CREATE_IF_ABSENT,
      4,
      this.keys.byReference(record.reference),
      this.keys.guestCode(record.id),
      this.keys.timeline(record.id),
      this.keys.openCodes,
      record.id,
      JSON.stringify({ ...record, version: 1 }),
      JSON.stringify(entry),
      String(Date.parse(record.created_at)),
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

  async openIds(limit = 10_000): Promise<string[]> {
    return this.redis.zrange(this.keys.openCodes, 0, limit - 1);
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
      const acIndexes = m.indexAccessCodes ?? [];
      const ok = await this.redis.eval(
        SAVE,
        4 + acIndexes.length,
        this.keys.guestCode(id),
        this.keys.timeline(id),
        this.keys.openCodes,
        this.keys.byReference(current.reference),
        ...acIndexes.map((ac) => this.keys.byAccessCode(ac)),
        String(current.version),
        JSON.stringify(next),
        isTerminal(next.status) ? '' : String(Date.parse(next.created_at)),
        JSON.stringify(m.timeline),
        current.reference,
        id,
        String(acIndexes.length),
      );
      if (ok === 1) return next;
    }
    throw new ConcurrentUpdateError(
      `guest code ${id} kept changing; gave up after ${maxTries} tries`,
    );
  }

  /** Appends to the timeline without touching the record (events we only note). */
  async note(id: string, entry: TimelineEntry): Promise<void> {
    await this.redis.rpush(this.keys.timeline(id), JSON.stringify(entry));
  }
}
