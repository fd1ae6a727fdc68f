/**
 * Finding guest codes: GET /v1/guest-codes lists them by stay start with filters and a cursor
 * that pages through every match exactly once, lists the stuck ones per status threshold, and
 * answers a bad parameter with a 400 naming it. The indexes behind it are kept by the same
 * writes as the records, and an expired record's entries are purged.
 */
import fc from 'fast-check';
import { Queue } from 'bullmq';
import { QUEUES } from '../../src/queues/catalog';
import { storeKeys } from '../../src/store/keys';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

interface Listed {
  id: string;
  reference: string;
  status: string;
  device: { device_id: string };
  requested: { starts_at: string };
  status_since: string;
}

describe('GET /v1/guest-codes: listing', () => {
  let s: Stack;
  let lockA: string;
  let lockB: string;
  /** reference -> id, and each one's requested start */
  const made: { id: string; reference: string; device: string; start: string }[] = [];

  beforeAll(async () => {
    s = await startStack({
      sim: { autoAdvance: false },
      // Waiting is "stuck" after 1 s here; requested and set never in this test.
      env: { STUCK_WAITING_MS: '1000', STUCK_REQUESTED_MS: '3600000', STUCK_SET_MS: '3600000' },
    });
    [lockA, lockB] = s.sim.devices.igloohome as [string, string];
    // Seven stays, two of them starting at the same hour (ties are broken by id).
    const plan: [string, number][] = [
      [lockA, 30],
      [lockB, 10],
      [lockA, 20],
      [lockB, 20],
      [lockA, 5],
      [lockB, 40],
      [lockA, 50],
    ];
    for (const [i, [device, startIn]] of plan.entries()) {
      const reference = `list-${i}`;
      const window = hourlyWindow(startIn, 24);
      const res = await s.api('/v1/guest-codes', {
        body: {
          device_id: device,
          guest: { name: `G${i}`, email: `g${i}@example.com` },
          reference,
          ...window,
        },
      });
      expect(res.status).toBe(202);
      made.push({ id: res.body.guest_code.id, reference, device, start: window.starts_at });
    }
    await eventually(async () => {
      const all = await Promise.all(made.map((m) => s.store.get(m.id)));
      return all.every((gc) => gc?.status === 'waiting') ? true : undefined;
    }, 10_000);
  });
  afterAll(() => s.close());

  /** Every page from the first, following next_cursor. */
  async function all(query: string, limit: number): Promise<{ items: Listed[]; pages: number }> {
    const items: Listed[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = query ? '&' : '';
      const res = await s.api(
        `/v1/guest-codes?${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.guest_codes.length).toBeLessThanOrEqual(limit);
      items.push(...(res.body.guest_codes as Listed[]));
      cursor = res.body.next_cursor as string | null;
      pages++;
      if (pages > 50) throw new Error('no end to the pages');
    } while (cursor);
    return { items, pages };
  }

  const byStart = (a: { start: string; id: string }, b: { start: string; id: string }) =>
    a.start === b.start ? (a.id < b.id ? -1 : 1) : Date.parse(a.start) - Date.parse(b.start);

  it('pages through every guest code once, by stay start then id, for any page size', async () => {
    const expected = [...made].sort(byStart).map((m) => m.reference);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 }), async (limit) => {
        const { items } = await all('', limit);
        expect(items.map((i) => i.reference)).toEqual(expected);
      }),
      { numRuns: 8 },
    );
    const first = await s.api('/v1/guest-codes?limit=7');
    expect(first.body.next_cursor).toBeNull();
    expect(first.body.guest_codes[0].timeline).toBeUndefined();
  });

  it('keeps a walk stable when codes are added behind it', async () => {
    const page1 = await s.api('/v1/guest-codes?limit=3');
    // A new stay that starts before everything already walked past.
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: lockB,
        guest: { name: 'Late', email: 'late@example.com' },
        reference: 'list-late',
        ...hourlyWindow(3, 24),
      },
    });
    expect(res.status).toBe(202);
    made.push({
      id: res.body.guest_code.id,
      reference: 'list-late',
      device: lockB,
      start: hourlyWindow(3, 24).starts_at,
    });
    const seen = (page1.body.guest_codes as Listed[]).map((g) => g.reference);
    let cursor = page1.body.next_cursor as string | null;
    while (cursor) {
      const next = await s.api(`/v1/guest-codes?limit=3&cursor=${cursor}`);
      seen.push(...(next.body.guest_codes as Listed[]).map((g) => g.reference));
      cursor = next.body.next_cursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(7);
    expect(seen).not.toContain('list-late');
  });

  it('filters by lock, by stay start and by status', async () => {
    const onB = await all(`device_id=${encodeURIComponent(lockB)}`, 2);
    expect(onB.items.map((i) => i.reference).sort()).toEqual(
      made
        .filter((m) => m.device === lockB)
        .map((m) => m.reference)
        .sort(),
    );

    const after = hourlyWindow(15, 1).starts_at;
    const before = hourlyWindow(45, 1).starts_at;
    const windowed = await all(
      `starts_after=${encodeURIComponent(after)}&starts_before=${encodeURIComponent(before)}`,
      2,
    );
    expect(windowed.items.map((i) => i.reference).sort()).toEqual(
      made
        .filter(
          (m) =>
            Date.parse(m.start) >= Date.parse(after) && Date.parse(m.start) < Date.parse(before),
        )
        .map((m) => m.reference)
        .sort(),
    );
    // starts_after is inclusive: a stay starting exactly then is in.
    const exact = made.find((m) => m.reference === 'list-2')!;
    const from = await all(`starts_after=${encodeURIComponent(exact.start)}`, 50);
    expect(from.items.map((i) => i.reference)).toContain('list-2');

    const victim = made.find((m) => m.reference === 'list-4')!;
    expect((await s.api(`/v1/guest-codes/${victim.id}`, { method: 'DELETE' })).status).toBe(200);
    const cancelled = await all('status=cancelled', 5);
    expect(cancelled.items.map((i) => i.reference)).toEqual(['list-4']);
    const cancelledOnA = await all(`status=cancelled&device_id=${encodeURIComponent(lockA)}`, 5);
    expect(cancelledOnA.items.map((i) => i.reference)).toEqual(['list-4']);
    const waiting = await all('status=waiting', 3);
    expect(waiting.items.map((i) => i.reference)).not.toContain('list-4');
    expect(waiting.items.every((i) => i.status === 'waiting')).toBe(true);
  });

  it('lists codes open longer than their status allows (stuck=true), oldest first', async () => {
    const fresh = await all('stuck=true', 50);
    const oldest = await eventually(async () => {
      const res = await s.api('/v1/guest-codes?stuck=true');
      return res.body.guest_codes.length >= 6 ? res : undefined;
    }, 5000);
    expect(oldest.body.stuck_after_ms).toEqual({
      requested: 3_600_000,
      waiting: 1000,
      set: 3_600_000,
    });
    const stuck = oldest.body.guest_codes as Listed[];
    expect(stuck.every((g) => g.status === 'waiting')).toBe(true);
    expect(stuck.every((g) => Date.now() - Date.parse(g.status_since) >= 1000)).toBe(true);
    const since = stuck.map((g) => Date.parse(g.status_since));
    expect([...since].sort((a, b) => a - b)).toEqual(since);
    // A cancelled code is not open, so never stuck.
    expect(stuck.map((g) => g.reference)).not.toContain('list-4');
    expect(fresh.items.length).toBeLessThanOrEqual(stuck.length);
    const stuckOnA = await all(`stuck=true&device_id=${encodeURIComponent(lockA)}`, 1);
    expect(stuckOnA.items.every((g) => g.device.device_id === lockA)).toBe(true);
    expect(stuckOnA.items.map((g) => g.reference).sort()).toEqual(
      stuck
        .filter((g) => g.device.device_id === lockA)
        .map((g) => g.reference)
        .sort(),
    );
  });

  it('answers ?reference= with that one guest code, as before', async () => {
    const res = await s.api('/v1/guest-codes?reference=list-1');
    expect(res.status).toBe(200);
    expect(res.body.guest_code.reference).toBe('list-1');
    expect(res.body.guest_code.timeline.length).toBeGreaterThan(0);
  });

  it.each([
    ['status=bogus', 'status', /requested, waiting, set/],
    ['limit=0', 'limit', /1 to 200/],
    ['limit=201', 'limit', /1 to 200/],
    ['limit=ten', 'limit', /1 to 200/],
    ['starts_after=yesterday', 'starts_after', /ISO 8601/],
    ['starts_before=2026-12-24T00:00:00', 'starts_before', /offset/],
    [
      'starts_after=2027-01-02T00:00:00Z&starts_before=2027-01-01T00:00:00Z',
      'starts_before',
      /later than starts_after/,
    ],
    ['stuck=yes', 'stuck', /true or false/],
    ['stuck=true&status=notified', 'status', /open status/],
    ['colour=blue', '(query)', /colour/],
    ['cursor=not-a-cursor', 'cursor', /next_cursor/],
    ['reference=list-1&status=waiting', 'status', /reference/],
    ['status=waiting&status=set', 'status', /once/],
  ])('400 for %s, naming %s', async (query, field, message) => {
    const res = await s.api(`/v1/guest-codes?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    const problem = (res.body.error.details as { field: string; message: string }[]).find(
      (d) => d.field === field,
    );
    expect(problem?.message).toMatch(message);
  });

  it('refuses a cursor given with other filters than the page it came from', async () => {
    const page = await s.api('/v1/guest-codes?limit=1');
    const cursor = page.body.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    const res = await s.api(`/v1/guest-codes?limit=1&status=waiting&cursor=${cursor}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('cursor');
  });

  it('drops an expired record from every listing index', async () => {
    const target = made.find((m) => m.reference === 'list-4')!; // cancelled: it expires
    const keys = storeKeys(s.config.QUEUE_PREFIX);
    const far = Date.now() + 400 * 24 * 3600_000;
    // Our clock says it is due, but Redis still holds the record: nothing is dropped yet.
    expect(await s.store.purgeExpiredIndexEntries(far)).toBe(0);
    expect(await s.redis.zscore(keys.indexExpiry, target.id)).not.toBeNull();
    // Redis's own expiry of the record, brought forward.
    await s.redis.del(keys.guestCode(target.id));
    expect(await s.store.purgeExpiredIndexEntries(far)).toBe(1);
    const indexes = [keys.byStart, keys.byStatus('cancelled'), keys.byDevice(target.device)];
    for (const key of indexes) {
      const members = await s.redis.zrange(key, '0', '-1');
      expect(members.some((m) => m.endsWith(target.id))).toBe(false);
    }
    expect(await s.redis.hexists(keys.indexInfo, target.id)).toBe(0);
    expect(await s.redis.zscore(keys.indexExpiry, target.id)).toBeNull();
    // An open record is never purged, whatever the clock says.
    expect(await s.store.purgeExpiredIndexEntries(far)).toBe(0);
    const listed = await all('', 50);
    expect(listed.items.map((i) => i.reference)).not.toContain('list-4');
  });

  it('indexes an open code recorded before the indexes existed once the sweeper reads it', async () => {
    const legacy = made.find((m) => m.reference === 'list-6')!;
    const keys = storeKeys(s.config.QUEUE_PREFIX);
    // The record as the previous version left it: no listing index entries at all.
    const info = JSON.parse((await s.redis.hget(keys.indexInfo, legacy.id))!) as { m: string };
    await s.redis.zrem(keys.byStart, info.m);
    await s.redis.zrem(keys.byStatus('waiting'), info.m);
    await s.redis.zrem(keys.byDevice(legacy.device), info.m);
    const since = (await s.redis.zrange(keys.statusSince('waiting'), '0', '-1')).find((m) =>
      m.endsWith(legacy.id),
    )!;
    await s.redis.zrem(keys.statusSince('waiting'), since);
    await s.redis.hdel(keys.indexInfo, legacy.id);
    expect((await all('', 50)).items.map((i) => i.reference)).not.toContain('list-6');

    const sweeps = new Queue(QUEUES.sweep, { connection: s.redis, prefix: s.config.QUEUE_PREFIX });
    const job = await sweeps.add('sweep', {});
    await eventually(async () => ((await job.isCompleted()) ? true : undefined), 10_000);
    await sweeps.close();
    expect((await all('', 50)).items.map((i) => i.reference)).toContain('list-6');
    expect((await all('stuck=true', 50)).items.map((i) => i.reference)).toContain('list-6');
  });
});
