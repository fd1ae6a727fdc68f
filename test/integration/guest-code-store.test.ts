/**
 * What the guest code store keeps in Redis, seen through the API: a count per status that
 * matches the records, a timeline that a flood of events cannot grow without bound, and
 * finished records that expire a retention period after the stay, open ones never.
 */
import type { GuestCode } from '../../src/domain/guest-code';
import { TIMELINE_KEPT } from '../../src/store/guest-codes';
import { storeKeys } from '../../src/store/keys';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const RETENTION_MS = 2 * 24 * 3600_000;

describe('guest code records in Redis', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      sim: { autoAdvance: false },
      env: { RECORD_RETENTION_MS: String(RETENTION_MS) },
    });
  });
  afterAll(() => s.close());

  let stays = 0;
  /** A different window per call by default: igloohome takes at most 3 with the same one. */
  async function request(reference: string, startInHours = 2 + stays++): Promise<string> {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: s.sim.devices.igloohome[0],
        guest: { name: 'Store Guest', email: 'store@example.com' },
        ...hourlyWindow(startInHours, 24),
        reference,
      },
    });
    if (res.status !== 202) throw new Error(JSON.stringify(res.body));
    return res.body.guest_code.id as string;
  }

  const waiting = (id: string) =>
    eventually(async () => {
      const gc = await s.store.get(id);
      return gc?.status === 'waiting' ? gc : undefined;
    }, 10_000);

  it('counts records per status exactly, as they move', async () => {
    const ids = [await request('count-1'), await request('count-2'), await request('count-3')];
    await Promise.all(ids.map(waiting));
    expect((await s.api(`/v1/guest-codes/${ids[0]}`, { method: 'DELETE' })).status).toBe(200);

    const records = (await Promise.all(ids.map((id) => s.store.get(id)))) as GuestCode[];
    const expected: Record<string, number> = {};
    for (const gc of records) expected[gc.status] = (expected[gc.status] ?? 0) + 1;
    const counts = await s.store.statusCounts();
    expect(counts).toEqual({
      requested: 0,
      waiting: 0,
      set: 0,
      notified: 0,
      undelivered: 0,
      failed: 0,
      cancelled: 0,
      ...expected,
    });
    expect(counts.cancelled).toBe(1);
    expect(counts.waiting).toBe(2);
  });

  it('keeps only the newest timeline entries when events keep coming', async () => {
    const id = await request('flood-1');
    await waiting(id);
    const extra = TIMELINE_KEPT + 50;
    for (let i = 0; i < extra; i++) {
      await s.store.note(id, {
        at: new Date().toISOString(),
        type: 'event',
        message: `flood ${i}`,
      });
    }
    const timeline = await s.store.timeline(id);
    expect(timeline).toHaveLength(TIMELINE_KEPT);
    expect(timeline[timeline.length - 1]!.message).toBe(`flood ${extra - 1}`);
  });

  it('expires a finished record with its timeline and indexes after stay end + retention; an open one never', async () => {
    const open = await request('retain-open');
    const done = await request('retain-done', 5);
    const gc = await waiting(done);
    await waiting(open);
    expect((await s.api(`/v1/guest-codes/${done}`, { method: 'DELETE' })).status).toBe(200);

    const keys = storeKeys(s.config.QUEUE_PREFIX);
    const expireAt = Date.parse(gc.plan.ends_at) + RETENTION_MS;
    for (const key of [
      keys.guestCode(done),
      keys.timeline(done),
      keys.byReference('retain-done'),
      keys.byAccessCode(gc.active_access_code_id!),
    ]) {
      const ttl = await s.redis.pttl(key);
      expect(Math.abs(Date.now() + ttl - expireAt)).toBeLessThan(60_000);
    }
    for (const key of [
      keys.guestCode(open),
      keys.timeline(open),
      keys.byReference('retain-open'),
    ]) {
      expect(await s.redis.pttl(key)).toBe(-1);
    }
  });
});
