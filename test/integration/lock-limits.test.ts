/**
 * igloohome's per-lock limits end to end (seamapi/docs creating-igloohome-offline-access-codes.md:
 * "199 PINs, including online and offline PINs"; "Maximum number of hourly-bound codes per hour
 * | 3"; "Maximum number of one-time-use codes per start date slot | 5"; read as in
 * src/domain/lock-limits.ts). The whole service in this process against the simulator (which
 * enforces the same limits), real Redis shared by the API and the workers.
 */
import { Queue } from 'bullmq';
import { DateTime } from 'luxon';
import { Redis } from 'ioredis';
import type { GuestCode } from '../../src/domain/guest-code';
import { lockClaimFor } from '../../src/domain/lock-limits';
import { QUEUES } from '../../src/queues/catalog';
import { storeKeys } from '../../src/store/keys';
import { LockCodeRegistry } from '../../src/store/lock-codes';
import { eventually } from '../../devkit/eventually';
import { testRedisUrl } from '../helpers/service';
import { startStack, type Stack } from '../helpers/stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOUR = 3_600_000;

describe('LockCodeRegistry (Redis, shared by every process)', () => {
  let redis: Redis;
  let registry: LockCodeRegistry;
  const prefix = `locklimits-${process.pid}-${Date.now()}`;
  beforeAll(() => {
    redis = new Redis(testRedisUrl());
    registry = new LockCodeRegistry(redis, storeKeys(prefix).lockCodes);
  });
  afterAll(() => redis.quit());

  const claim = (startMs: number, kind: 'hourly_bound' | 'one_time_use' = 'hourly_bound') =>
    lockClaimFor('igloohome', {
      kind,
      starts_at: new Date(startMs).toISOString(),
      ends_at: new Date(startMs + (kind === 'one_time_use' ? 24 : 40) * HOUR).toISOString(),
      max_time_rounding: '1hour',
      timezone: 'UTC',
      caveats: [],
      warnings: [],
      seam_request: { starts_at: '', max_time_rounding: '1hour' },
    })!;

  it('of many concurrent claims for one window, exactly 3 win', async () => {
    const c = claim(Date.parse('2030-05-01T15:00:00Z'));
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => registry.reserve('lock-a', `gc:${i}:0`, c, Date.now())),
    );
    expect(results.filter((r) => r.added)).toHaveLength(3);
    // the same tag again (a retried creation) keeps its place
    const again = await registry.reserve('lock-a', 'gc:0:0', c, Date.now());
    expect(results[0]!.added && again.added).toBe(true);
    expect((await registry.usage('lock-a', c)).inGroup).toBe(3);
  });

  it('a code stops counting at its end; a released claim at once', async () => {
    const start = Date.now() - 10 * HOUR;
    const c = claim(start); // ends 30 h from now
    await registry.reserve('lock-b', 'gc:x:0', c, Date.now());
    expect((await registry.usage('lock-b', c)).total).toBe(1);
    expect((await registry.usage('lock-b', c, c.endsAtMs)).total).toBe(0);
    await registry.reserve('lock-b', 'gc:y:0', c, Date.now());
    await registry.release('lock-b', 'gc:y:0');
    expect((await registry.usage('lock-b', c, Date.now())).total).toBe(0);
  });
});

describe('per-lock limits through the API and the workers', () => {
  let s: Stack;
  let igloo: string;
  let igloo2: string;
  let seq = 0;
  beforeAll(async () => {
    s = await startStack({ sim: { autoAdvance: false }, env: { REPLACE_AFTER_MS: '100' } });
    [igloo, igloo2] = s.sim.devices.igloohome as [string, string];
  });
  afterAll(() => s.close());

  const start = (days: number) =>
    DateTime.now().plus({ days }).set({ minute: 0, second: 0, millisecond: 0 }).toUTC();
  const post = (body: Record<string, unknown>) =>
    s.api('/v1/guest-codes', {
      body: {
        guest: { name: 'Limit Guest', email: 'limits@example.com' },
        reference: `limit-${++seq}`,
        ...body,
      },
    });
  const waitFor = (id: string, ok: (gc: GuestCode) => boolean) =>
    eventually(async () => {
      const gc = await s.store.get(id);
      return gc && ok(gc) ? gc : undefined;
    });
  const simCodesFor = (deviceId: string, startsAt: string) =>
    s.sim
      .accessCodes()
      .filter((c) => c.device_id === deviceId && c.starts_at === new Date(startsAt).toISOString());

  it('the 4th code for one window on a lock: 422 naming the limit, nothing created; another hour is fine', async () => {
    const startsAt = start(3).toISO()!;
    const endsAt = start(5).toISO()!;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post({ device_id: igloo, starts_at: startsAt, ends_at: endsAt });
      expect(res.status).toBe(202);
      ids.push(res.body.guest_code.id as string);
    }
    await Promise.all(ids.map((id) => waitFor(id, (gc) => gc.status === 'waiting')));
    const creates = s.sim.requestCounts()['/access_codes/create'] ?? 0;
    const fourth = await post({ device_id: igloo, starts_at: startsAt, ends_at: endsAt });
    expect(fourth.status).toBe(422);
    expect(fourth.body.error.code).toBe('igloohome_same_window_limit');
    expect(fourth.body.error.message).toMatch(/at most 3/);
    await sleep(200);
    expect(s.sim.requestCounts()['/access_codes/create'] ?? 0).toBe(creates);
    expect(simCodesFor(igloo, startsAt)).toHaveLength(3);
    // the same window on another lock, or an hour later on this one, is another slot
    expect((await post({ device_id: igloo2, starts_at: startsAt, ends_at: endsAt })).status).toBe(
      202,
    );
    const later = start(3).plus({ hours: 1 }).toISO()!;
    expect((await post({ device_id: igloo, starts_at: later, ends_at: endsAt })).status).toBe(202);
  });

  it('the 6th one-time-use code of a start hour: 422', async () => {
    const startsAt = start(6).toISO()!;
    for (let i = 0; i < 5; i++) {
      const res = await post({ device_id: igloo2, starts_at: startsAt, is_one_time_use: true });
      expect(res.status).toBe(202);
    }
    const sixth = await post({ device_id: igloo2, starts_at: startsAt, is_one_time_use: true });
    expect(sixth.status).toBe(422);
    expect(sixth.body.error.code).toBe('igloohome_one_time_use_slot_limit');
  });

  it('a replacement that would be the 4th code of its window is never made: failed, with an alert', async () => {
    const startsAt = start(8).toISO()!;
    const endsAt = start(9).toISO()!;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post({ device_id: igloo, starts_at: startsAt, ends_at: endsAt });
      ids.push(res.body.guest_code.id as string);
    }
    const gcs = await Promise.all(ids.map((id) => waitFor(id, (gc) => gc.status === 'waiting')));
    const failing = gcs[2]!;
    s.sim.fail(failing.active_access_code_id!, 'failed_to_set_on_device');
    await sleep(300);
    s.sim.fail(failing.active_access_code_id!, 'failed_to_set_on_device'); // after the grace
    const failed = await waitFor(failing.id, (gc) => gc.status === 'failed');
    expect(failed.failure?.code).toBe('igloohome_same_window_limit');
    expect(failed.replacements).toBe(1);
    await sleep(300);
    expect(simCodesFor(igloo, startsAt)).toHaveLength(3);
    await s.notifyReceiver.waitFor((all) =>
      all.some(
        (r) =>
          r.event?.type === 'guest_code.failed' &&
          (r.event.data as { guest_code_id: string }).guest_code_id === failing.id,
      ),
    );
  });

  it('a full lock: the creation waits for a code that ends first; 422 when none ends in time', async () => {
    const registry = new LockCodeRegistry(s.redis, storeKeys(s.config.QUEUE_PREFIX).lockCodes);
    const device = s.sim.devices.igloohome[1]!;
    // 199 codes this service made on the lock: the first ends in 10 days, the others in 60
    const filler = (i: number, endsInDays: number) =>
      lockClaimFor('igloohome', {
        kind: 'hourly_bound',
        starts_at: start(1).plus({ hours: i }).toISO()!,
        ends_at: start(endsInDays).plus({ hours: i }).toISO()!,
        max_time_rounding: '1hour',
        timezone: 'UTC',
        caveats: [],
        warnings: [],
        seam_request: { starts_at: '', max_time_rounding: '1hour' },
      })!;
    const usage = await registry.usage(device, filler(0, 10));
    for (let i = usage.total; i < 199; i++) {
      expect(
        (await registry.reserve(device, `gc:filler-${i}:0`, filler(i, i === 0 ? 10 : 60))).added,
      ).toBe(true);
    }
    // starts after the first one ends: accepted, and the creation waits (nothing sent yet)
    const res = await post({
      device_id: device,
      starts_at: start(12).toISO(),
      ends_at: start(13).toISO(),
    });
    expect(res.status).toBe(202);
    const id = res.body.guest_code.id as string;
    const q = new Queue(QUEUES.create, { connection: s.redis, prefix: s.config.QUEUE_PREFIX });
    try {
      await eventually(async () =>
        (await q.getDelayed()).some((j) => j.id === `create-${id}-0`) ? true : undefined,
      );
    } finally {
      await q.close();
    }
    expect((await s.store.get(id))?.status).toBe('requested');
    expect(s.sim.accessCodes().filter((c) => (c.name ?? '').includes(`[gc:${id}:`))).toHaveLength(
      0,
    );
    // starts before any of them ends: waiting cannot help
    const refused = await post({
      device_id: device,
      starts_at: start(4).toISO(),
      ends_at: start(5).toISO(),
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('igloohome_pin_limit');
  });
});
