import type { Redis } from 'ioredis';
import type { StayRecord } from '../domain/stay';
import { storeKeys, type StoreKeys } from './keys';

// KEYS: reference, record. ARGV: id, doc, ttl ms. Returns the id that holds the reference.
const CREATE_IF_ABSENT = `
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return ARGV[1]
`;

const DAY_MS = 24 * 3600_000;

/**
 * Stays with several doors: the POST's reference (unique, like a guest code's) and the door
 * guest codes in order. Written once, before any door; kept until the stay's end plus the
 * retention of guest codes.
 */
export class StayStore {
  private readonly keys: StoreKeys;

  private readonly retentionMs: number;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    opts: { retentionMs?: number } = {},
  ) {
    this.keys = storeKeys(prefix);
    this.retentionMs = opts.retentionMs ?? 30 * DAY_MS;
  }

  /** Records a stay unless its reference is taken; answers the one that holds it. */
  async createIfAbsent(
    stay: StayRecord,
    nowMs: number,
  ): Promise<{ created: boolean; record: StayRecord }> {
    const ttl = Math.max(Date.parse(stay.ends_at) - nowMs, 0) + this.retentionMs;
    const id = (await this.redis.eval(
      CREATE_IF_ABSENT,
      2,
      this.keys.stayByReference(stay.reference),
      this.keys.stay(stay.id),
      stay.id,
      JSON.stringify(stay),
      String(Math.max(1, Math.round(ttl))),
    )) as string;
    if (id === stay.id) return { created: true, record: stay };
    const existing = await this.get(id);
    if (!existing) throw new Error(`stay reference index points to a missing stay ${id}`);
    return { created: false, record: existing };
  }

  async get(id: string): Promise<StayRecord | undefined> {
    const doc = await this.redis.get(this.keys.stay(id));
    return doc ? (JSON.parse(doc) as StayRecord) : undefined;
  }

  async getByReference(reference: string): Promise<StayRecord | undefined> {
    const id = await this.redis.get(this.keys.stayByReference(reference));
    return id ? this.get(id) : undefined;
  }
}
