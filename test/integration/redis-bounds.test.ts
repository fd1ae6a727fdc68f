/**
 * Redis does not grow with every guest ever served: after a guest code has gone from request
 * to notified, every key the service wrote outside BullMQ's own structures expires (the record,
 * its timeline and indexes a retention after the stay, the notification claims once no job
 * can retry the send), except a handful of singletons whose size is bounded by design.
 * BullMQ's deduplication keys expire too; its jobs are trimmed by count and age.
 */
import { QUEUES } from '../../src/queues/catalog';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

describe('every key has a bound', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ sim: { settingAfterMs: 100, setAfterMs: 300 } });
  });
  afterAll(async () => {
    await s.close();
  });

  it('after a guest is told, only bounded singletons and BullMQ structures are kept without a TTL', async () => {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
        ...hourlyWindow(2, 48),
        reference: 'booking-bounds-1',
      },
    });
    expect(res.status).toBe(202);
    const id = res.body.guest_code.id as string;
    await eventually(async () => {
      const gc = await s.store.get(id);
      return gc?.status === 'notified' ? gc : undefined;
    }, 10_000);

    const prefix = s.config.QUEUE_PREFIX;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await s.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');

    // Bounded by design: one key each, whose size is capped (lists) or fixed (counts, cursor),
    // or the set of open guest codes (each leaves it when it ends).
    const singletons = new Set(
      ['gc-open', 'gc-status-counts', 'sweep:events-since', 'parked-events', 'ignored-events'].map(
        (k) => `${prefix}:${k}`,
      ),
    );
    const bullmq = Object.values(QUEUES).map((q) => `${prefix}:${q}:`);
    const unbounded: string[] = [];
    // The listing indexes (one per status, per lock, and all): bounded by the records, since
    // each entry is dropped once its record expires (the sweeper's purge). So every entry
    // must name a record that exists.
    const indexes = keys.filter((k) => k.startsWith(`${prefix}:gc-idx:`));
    expect(indexes.length).toBeGreaterThan(0);
    for (const key of indexes) {
      const type = await s.redis.type(key);
      const entries =
        type === 'hash' ? await s.redis.hkeys(key) : await s.redis.zrange(key, '0', '-1');
      for (const entry of entries) {
        const gcId = entry.slice(entry.lastIndexOf(':') + 1);
        expect({ key, entry, exists: await s.redis.exists(`${prefix}:gc:${gcId}`) }).toEqual({
          key,
          entry,
          exists: 1,
        });
      }
    }
    for (const key of keys) {
      if (singletons.has(key) || indexes.includes(key)) continue;
      const ttl = await s.redis.pttl(key);
      const ofBullmq = bullmq.some((p) => key.startsWith(p));
      // BullMQ's deduplication keys must expire; its other keys are trimmed by BullMQ.
      if (ofBullmq && !key.includes(':de:')) continue;
      if (ttl < 0) unbounded.push(key);
    }
    expect(unbounded).toEqual([]);
    // The claims exist (so the check above looked at them) and expire after the failed-job
    // retention (a week) plus a day.
    const claims = keys.filter((k) => k.startsWith(`${prefix}:notify:${id}:`));
    expect(claims.length).toBe(2);
    for (const k of claims) {
      expect(await s.redis.get(k)).toBe('sent');
      const ttl = await s.redis.pttl(k);
      expect(ttl).toBeGreaterThan(7 * 24 * 3600_000);
      expect(ttl).toBeLessThanOrEqual(8 * 24 * 3600_000);
    }
  });
});
