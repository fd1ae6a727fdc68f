import type { Redis } from 'ioredis';
import {
  GUEST_CODE_STATUSES,
  isTerminal,
  type GuestCode,
  type GuestCodeStatus,
  type TimelineEntry,
} from '../domain/guest-code';
import { storeKeys, type StoreKeys } from './keys';
import type { Transition } from '../domain/transitions';

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

// KEYS: record, timeline, open set, status counts, reference index, start index, old status
//       index, new status index, device index, old since index, new since index, expiry set,
//       index info, [access code indexes...]
// ARGV: expected version ('0' = must not exist), document, score for the open set ('' = closed),
//       timeline entries (JSON array), new status, id, timeline cap, expire-at ms ('' = keep),
//       index member, old since member ('' = none), new since member ('' = none), index info
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
redis.call('ZADD', KEYS[6], 0, ARGV[9])
if KEYS[7] ~= KEYS[8] then redis.call('ZREM', KEYS[7], ARGV[9]) end
redis.call('ZADD', KEYS[8], 0, ARGV[9])
redis.call('ZADD', KEYS[9], 0, ARGV[9])
if ARGV[10] ~= '' then redis.call('ZREM', KEYS[10], ARGV[10]) end
if ARGV[11] ~= '' then redis.call('ZADD', KEYS[11], 0, ARGV[11]) end
redis.call('HSET', KEYS[13], ARGV[6], ARGV[12])
if ARGV[8] == '' then redis.call('ZREM', KEYS[12], ARGV[6]) else redis.call('ZADD', KEYS[12], ARGV[8], ARGV[6]) end
for i = 14, #KEYS do redis.call('SET', KEYS[i], ARGV[6]) end
local keep = {KEYS[1], KEYS[2], KEYS[5]}
for i = 14, #KEYS do keep[#keep + 1] = KEYS[i] end
for i = 1, #keep do
  if ARGV[8] == '' then redis.call('PERSIST', keep[i]) else redis.call('PEXPIREAT', keep[i], ARGV[8]) end
end
return 1
`;

// KEYS: reference index, record, timeline, open set, status counts, start index, status index,
//       device index, since index, index info
// ARGV: id, document, timeline entry, score, status, index member, since member, index info
const CREATE_IF_ABSENT = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'doc', ARGV[2], 'version', 1)
redis.call('RPUSH', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('HINCRBY', KEYS[5], ARGV[5], 1)
redis.call('ZADD', KEYS[6], 0, ARGV[6])
redis.call('ZADD', KEYS[7], 0, ARGV[6])
redis.call('ZADD', KEYS[8], 0, ARGV[6])
redis.call('ZADD', KEYS[9], 0, ARGV[7])
redis.call('HSET', KEYS[10], ARGV[1], ARGV[8])
return ARGV[1]
`;

// KEYS: record, start index, status index, device index, expiry set, index info
// ARGV: id, index member. Only once the record itself has expired: a record still there (our
// clock ahead of Redis's) keeps its place in the expiry set for the next sweep; one reopened by
// a resend has already left it (SAVE).
const PURGE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
return 1
`;

// KEYS: timeline. ARGV: entry, cap. Only while the record exists (an expired one stays gone).
const NOTE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
return 1
`;

// KEYS: record, start index, status index, device index, since index, index info
// ARGV: id, version, index member, since member ('' = finished), index info
// For a record written before the listing indexes existed: indexes it as it is now, unless it
// changed since it was read (its next write indexes it then) or is indexed already.
const INDEX_IF_MISSING = `
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[2] then return 0 end
if redis.call('HEXISTS', KEYS[6], ARGV[1]) == 1 then return 0 end
redis.call('ZADD', KEYS[2], 0, ARGV[3])
redis.call('ZADD', KEYS[3], 0, ARGV[3])
redis.call('ZADD', KEYS[4], 0, ARGV[3])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[5], 0, ARGV[4]) end
redis.call('HSET', KEYS[6], ARGV[1], ARGV[5])
return 1
`;

export class ConcurrentUpdateError extends Error {}

/** The statuses a guest code waits in (the rest are endings). */
export const OPEN_STATUSES = GUEST_CODE_STATUSES.filter((st) => !isTerminal(st));

/** Milliseconds as a fixed-width decimal, so lexical order is numeric order (to year 33658). */
function pad(ms: number): string {
  return String(Math.max(0, Math.floor(Number.isFinite(ms) ? ms : 0))).padStart(15, '0');
}

/** The start of the stay as the booking system asked for it: what the listing filters on. */
export function stayStartMs(gc: Pick<GuestCode, 'request'>): number {
  return Date.parse(gc.request.starts_at);
}

function indexMember(gc: GuestCode): string {
  return `${pad(stayStartMs(gc))}:${gc.id}`;
}

/** When the record entered its status; records older than the field count from creation. */
function statusSince(gc: GuestCode): string {
  return gc.status_since ?? gc.created_at;
}

function sinceMember(gc: GuestCode): string {
  return `${pad(Date.parse(statusSince(gc)))}:${gc.id}`;
}

function indexInfo(gc: GuestCode): string {
  return JSON.stringify({ m: indexMember(gc), s: gc.status, d: gc.device.device_id });
}

/** What a listing asks for; every filter is optional. */
export interface ListQuery {
  status?: GuestCodeStatus;
  deviceId?: string;
  /** The stay starts at or after this instant (ms). */
  startsAfter?: number;
  /** The stay starts before this instant (ms). */
  startsBefore?: number;
  /** Only open codes in their status since before these instants (ms), per status. */
  stuckBefore?: Partial<Record<GuestCodeStatus, number>>;
  limit: number;
  /** Where the previous page stopped (from `next`); undefined = from the start. */
  after?: { index: number; member: string };
  /** Index entries read at most for one page (the page may come back short, with `next`). */
  budget: number;
}

export interface ListPage {
  records: GuestCode[];
  /** Where to go on from; undefined = nothing more. */
  next?: { index: number; member: string };
}

interface IndexRange {
  key: string;
  min: string;
  max: string;
  /** Whether a record found through this index still needs these checks. */
  check: (gc: GuestCode) => boolean;
}

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
    const doc: GuestCode = { ...record, status_since: record.created_at, version: 1 };
    const id = (await this.redis.eval(
      CREATE_IF_ABSENT,
      10,
      this.keys.byReference(record.reference),
      this.keys.guestCode(record.id),
      this.keys.timeline(record.id),
      this.keys.openCodes,
      this.keys.statusCounts,
      this.keys.byStart,
      this.keys.byStatus(record.status),
      this.keys.byDevice(record.device.device_id),
      this.keys.statusSince(record.status),
      this.keys.indexInfo,
      record.id,
      JSON.stringify(doc),
      JSON.stringify(entry),
      String(Date.parse(record.created_at)),
      record.status,
      indexMember(doc),
      sinceMember(doc),
      indexInfo(doc),
    )) as string;
    if (id === record.id) return { created: true, record: doc };
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
   * Read-modify-write with optimistic concurrency: `step` (a transition of src/domain) sees the
   * current record and says what to write, if anything; on a concurrent write it runs again.
   * Answers the record as it now is and the result of the run that counted (undefined when
   * there is no such guest code).
   */
  async update<R>(
    id: string,
    step: (current: GuestCode) => Transition<R>,
    maxTries = 10,
  ): Promise<{ record: GuestCode; result: R } | undefined> {
    for (let i = 0; i < maxTries; i++) {
      const current = await this.get(id);
      if (!current) return undefined;
      const { write: m, result } = step(current);
      if (!m) return { record: current, result };
      const next: GuestCode = {
        ...m.record,
        status_since:
          m.record.status === current.status
            ? statusSince(current)
            : (m.record.updated_at ?? new Date().toISOString()),
        version: current.version + 1,
      };
      // Every access code ever tracked keeps its index, and expires with the record.
      const acIds = [
        ...new Set([
          ...next.access_codes.map((c) => c.access_code_id),
          ...(m.indexAccessCodes ?? []),
        ]),
      ];
      const ok = await this.redis.eval(
        SAVE,
        13 + acIds.length,
        this.keys.guestCode(id),
        this.keys.timeline(id),
        this.keys.openCodes,
        this.keys.statusCounts,
        this.keys.byReference(current.reference),
        this.keys.byStart,
        this.keys.byStatus(current.status),
        this.keys.byStatus(next.status),
        this.keys.byDevice(next.device.device_id),
        this.keys.statusSince(current.status),
        this.keys.statusSince(next.status),
        this.keys.indexExpiry,
        this.keys.indexInfo,
        ...acIds.map((ac) => this.keys.byAccessCode(ac)),
        String(current.version),
        JSON.stringify(next),
        isTerminal(next.status) ? '' : String(Date.parse(next.created_at)),
        JSON.stringify(m.timeline),
        next.status,
        id,
        String(TIMELINE_KEPT),
        this.expiresAt(next),
        indexMember(next),
        isTerminal(current.status) ? '' : sinceMember(current),
        isTerminal(next.status) ? '' : sinceMember(next),
        indexInfo(next),
      );
      if (ok === 1) return { record: next, result };
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

  /**
   * One page of guest codes. Without `stuckBefore`: by stay start (then id), through the
   * narrowest index (the lock's, the status's, or all), the time range as the index's bounds.
   * With it: per open status, oldest in its status first, through that status's since index.
   * Filters the index cannot apply are checked on the records read, at most `budget` of them.
   */
  async list(q: ListQuery): Promise<ListPage> {
    const inStay = (gc: GuestCode) => {
      const start = stayStartMs(gc);
      return (
        (q.startsAfter === undefined || start >= q.startsAfter) &&
        (q.startsBefore === undefined || start < q.startsBefore)
      );
    };
    const matches = (gc: GuestCode) =>
      (q.status === undefined || gc.status === q.status) &&
      (q.deviceId === undefined || gc.device.device_id === q.deviceId);
    const ranges: IndexRange[] = [];
    if (q.stuckBefore) {
      for (const status of OPEN_STATUSES) {
        const before = q.stuckBefore[status];
        if (before === undefined || (q.status !== undefined && q.status !== status)) continue;
        ranges.push({
          key: this.keys.statusSince(status),
          min: '-',
          max: `(${pad(before)}`,
          check: (gc) => gc.status === status && matches(gc) && inStay(gc),
        });
      }
    } else {
      const key =
        q.deviceId !== undefined
          ? this.keys.byDevice(q.deviceId)
          : q.status !== undefined
            ? this.keys.byStatus(q.status)
            : this.keys.byStart;
      ranges.push({
        key,
        min: q.startsAfter === undefined ? '-' : `[${pad(q.startsAfter)}`,
        max: q.startsBefore === undefined ? '+' : `(${pad(q.startsBefore)}`,
        check: (gc) => matches(gc) && inStay(gc),
      });
    }

    const records: GuestCode[] = [];
    let budget = q.budget;
    for (let index = q.after?.index ?? 0; index < ranges.length; index++) {
      const range = ranges[index]!;
      let min = range.min;
      if (q.after && q.after.index === index && (min === '-' || q.after.member > min.slice(1))) {
        min = `(${q.after.member}`;
      }
      for (;;) {
        if (budget <= 0) {
          // Out of budget: the caller goes on from here.
          return { records, next: { index, member: min.slice(1) } };
        }
        const chunk = Math.min(budget, Math.max(q.limit - records.length, 1) * 2, 500);
        const members = await this.redis.zrangebylex(range.key, min, range.max, 'LIMIT', 0, chunk);
        budget -= members.length;
        const docs = await this.getMany(members.map((m) => m.slice(m.indexOf(':') + 1)));
        for (let i = 0; i < members.length; i++) {
          const gc = docs[i];
          if (gc && range.check(gc)) records.push(gc);
          if (records.length === q.limit) {
            const last = members[i]!;
            const more =
              i < members.length - 1 ||
              index < ranges.length - 1 ||
              (await this.redis.zrangebylex(range.key, `(${last}`, range.max, 'LIMIT', 0, 1))
                .length > 0;
            return { records, next: more ? { index, member: last } : undefined };
          }
        }
        if (members.length < chunk) break;
        min = `(${members[members.length - 1]!}`;
      }
    }
    return { records };
  }

  /**
   * Indexes those of `records` that are not yet (written before the listing indexes existed);
   * one round trip when all are. The sweeper calls it for every open code it reads.
   */
  async indexIfMissing(records: GuestCode[]): Promise<number> {
    if (records.length === 0) return 0;
    const known = await this.redis.hmget(this.keys.indexInfo, ...records.map((gc) => gc.id));
    let indexed = 0;
    for (const [i, gc] of records.entries()) {
      if (known[i] !== null) continue;
      indexed += (await this.redis.eval(
        INDEX_IF_MISSING,
        6,
        this.keys.guestCode(gc.id),
        this.keys.byStart,
        this.keys.byStatus(gc.status),
        this.keys.byDevice(gc.device.device_id),
        this.keys.statusSince(gc.status),
        this.keys.indexInfo,
        gc.id,
        String(gc.version),
        indexMember(gc),
        isTerminal(gc.status) ? '' : sinceMember(gc),
        indexInfo(gc),
      )) as number;
    }
    return indexed;
  }

  /**
   * Per open status, when its longest-waiting code entered it (ms), or undefined when none is
   * in it: one ZRANGE per status, no scan.
   */
  async oldestOpenSince(): Promise<Record<string, number | undefined>> {
    const pipeline = this.redis.pipeline();
    for (const status of OPEN_STATUSES) pipeline.zrange(this.keys.statusSince(status), '0', '0');
    const results = (await pipeline.exec()) ?? [];
    const out: Record<string, number | undefined> = {};
    OPEN_STATUSES.forEach((status, i) => {
      const [err, members] = results[i] ?? [];
      if (err) throw err;
      const first = (members as string[] | undefined)?.[0];
      out[status] = first === undefined ? undefined : Number(first.slice(0, first.indexOf(':')));
    });
    return out;
  }

  /**
   * Drops the index entries of records that expired (at most `max` of them): the records go
   * by Redis's own expiry, their entries in the listing indexes here.
   */
  async purgeExpiredIndexEntries(nowMs: number, max = 500): Promise<number> {
    const ids = await this.redis.zrangebyscore(
      this.keys.indexExpiry,
      '-inf',
      String(nowMs),
      'LIMIT',
      0,
      max,
    );
    if (ids.length === 0) return 0;
    const infos = await this.redis.hmget(this.keys.indexInfo, ...ids);
    let purged = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const raw = infos[i];
      const info = raw ? (JSON.parse(raw) as { m: string; s: string; d: string }) : undefined;
      purged += (await this.redis.eval(
        PURGE,
        6,
        this.keys.guestCode(id),
        this.keys.byStart,
        this.keys.byStatus(info?.s ?? ''),
        this.keys.byDevice(info?.d ?? ''),
        this.keys.indexExpiry,
        this.keys.indexInfo,
        id,
        info?.m ?? '',
      )) as number;
    }
    return purged;
  }

  /** A finished record is kept until its stay is over plus the retention period. */
  private expiresAt(record: GuestCode): string {
    if (!isTerminal(record.status)) return '';
    const stayEnds = Date.parse(record.plan.ends_at);
    return String(Math.max(Date.now(), Number.isNaN(stayEnds) ? 0 : stayEnds) + this.retentionMs);
  }
}
