/**
 * Provisioning under faults (issue 3): Seam failing, answering 429, rejecting for good, and the
 * service's own per-device create rate limit. The whole service runs in-process against the
 * Seam simulator and real Redis; every test asserts the END STATE (record in Redis, codes on
 * the simulator, requests the simulator saw).
 */
import { Queue } from 'bullmq';
import type { SimAccessCode } from '../../sim/codes';
import { QUEUES } from '../../src/queues/catalog';
import { storeKeys } from '../../src/store/keys';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const CREATE = '/access_codes/create';
const LIST = '/access_codes/list';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function helpers(get: () => Stack) {
  const creates = () => get().sim.requestCounts()[CREATE] ?? 0;
  const codesOf = (guestCodeId: string): SimAccessCode[] =>
    get()
      .sim.accessCodes()
      .filter((c) => c.name?.includes(`[gc:${guestCodeId}:`));
  const status = async (id: string, statuses: string[], timeoutMs = 10_000) =>
    eventually(async () => {
      const gc = await get().store.get(id);
      return gc && statuses.includes(gc.status) ? gc : undefined;
    }, timeoutMs);
  return { creates, codesOf, status };
}

describe('provisioning when Seam misbehaves', () => {
  let s: Stack;
  let seq = 0;
  const ref = (name: string) => `faults-${name}-${++seq}`;
  const { codesOf, status } = helpers(() => s);

  beforeAll(async () => {
    s = await startStack({ sim: { settingAfterMs: 100, setAfterMs: 300 } });
  });
  afterEach(() => {
    s.sim.clearFaults();
  });
  afterAll(async () => {
    await s.close();
  });

  async function book(device: string, extra: Record<string, unknown> = {}) {
    const res = await s.api('/v1/guest-codes', {
      body: {
        device_id: device,
        guest: { name: 'Fault Guest', email: `fault${seq}@example.com` },
        ...hourlyWindow(4, 24),
        reference: ref('b'),
        ...extra,
      },
    });
    expect(res.status).toBe(202);
    return res.body.guest_code.id as string;
  }

  it('503, 503, then a dropped connection after the code was stored: adopts that one code', async () => {
    const device = s.sim.devices.igloohome[0]!;
    s.sim.setFaults({ createErrors: { count: 2, status: 503 }, dropCreates: 1 });
    s.sim.resetCounts();
    const id = await book(device);

    const gc = await status(id, ['notified']);
    await sleep(300);
    const codes = codesOf(id);
    expect(codes).toHaveLength(1);
    expect(s.sim.accessCodes().filter((c) => c.device_id === device)).toHaveLength(1);
    expect(s.sim.requestCounts()[CREATE]).toBe(3); // 503, 503, dropped: never a fourth
    expect(s.sim.requestCounts()[LIST]).toBeGreaterThanOrEqual(1); // looked before re-sending
    expect(s.sim.getFaults()).toMatchObject({ createErrors: { count: 0 }, dropCreates: 0 });

    expect(gc.access_codes.map((a) => a.access_code_id)).toEqual([codes[0]!.access_code_id]);
    expect(gc.active_access_code_id).toBe(codes[0]!.access_code_id);
    expect(gc.create_attempts).toBe(3);
    expect(gc.failure).toBeUndefined();
    const timeline = await s.store.timeline(id);
    const types = timeline.map((t) => t.type);
    expect(types.filter((t) => t === 'create_attempt')).toHaveLength(3);
    expect(types).toContain('adopted');
    expect(types).not.toContain('created');
    expect(timeline.find((t) => t.type === 'adopted')?.access_code_id).toBe(
      codes[0]!.access_code_id,
    );
  });

  it('a 503 after the code was stored: adopts it on the next try, no second create', async () => {
    const device = s.sim.devices.dormakaba[1]!; // New York, 07:00-19:00 slot
    const { DateTime } = await import('luxon');
    const start = DateTime.now()
      .setZone('America/New_York')
      .plus({ days: 2 })
      .set({ hour: 7, minute: 0, second: 0, millisecond: 0 });
    s.sim.setFaults({ createErrors: { count: 1, status: 503, afterStore: true } });
    s.sim.resetCounts();
    const id = await book(device, {
      starts_at: start.toISO(),
      ends_at: start.set({ hour: 19 }).toISO(),
    });

    const gc = await status(id, ['waiting', 'set', 'notified']);
    await sleep(400);
    expect(codesOf(id)).toHaveLength(1);
    expect(s.sim.requestCounts()[CREATE]).toBe(1);
    expect(gc.create_attempts).toBe(1);
    expect((await s.store.timeline(id)).map((t) => t.type)).toContain('adopted');
    expect(gc.plan.time_slot?.name).toBe('User 126 D 7am-7pm');
  });

  it('429 with Retry-After: waits at least Retry-After before trying again, one code', async () => {
    const device = s.sim.devices.igloohome[0]!;
    s.sim.setFaults({ createErrors: { count: 1, status: 429, retryAfterSeconds: 2 } });
    s.sim.resetCounts();
    const id = await book(device);

    const gc = await status(id, ['waiting', 'set', 'notified']);
    await sleep(300);
    expect(codesOf(id)).toHaveLength(1);
    expect(s.sim.requestCounts()[CREATE]).toBe(2);
    expect(gc.create_attempts).toBe(2);
    const attempts = (await s.store.timeline(id))
      .filter((t) => t.type === 'create_attempt')
      .map((t) => Date.parse(t.at));
    expect(attempts).toHaveLength(2);
    // Our own backoff is 50-500 ms in this stack: only Retry-After explains 2 s.
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(2000);
  });

  it('a permanent Seam error (400 invalid_input): failed at once, Seam error kept, one create', async () => {
    const device = s.sim.devices.igloohome[1]!;
    const { starts_at } = hourlyWindow(30, 1);
    // igloohome allows 5 one-time-use codes per start slot: fill the slot directly on "Seam".
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${s.sim.url}${CREATE}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.sim.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          device_id: device,
          name: `walk-in ${i}`,
          starts_at,
          is_offline_access_code: true,
          is_one_time_use: true,
        }),
      });
      expect(res.status).toBe(200);
    }
    s.sim.resetCounts();
    const onDevice = s.sim.accessCodes().filter((c) => c.device_id === device).length;

    const id = await book(device, { starts_at, ends_at: undefined, is_one_time_use: true });
    const gc = await status(id, ['failed']);
    await sleep(1500); // well past the longest backoff (500 ms): a retry would show by now
    expect(s.sim.requestCounts()[CREATE]).toBe(1);
    expect(s.sim.accessCodes().filter((c) => c.device_id === device)).toHaveLength(onDevice);
    expect(codesOf(id)).toHaveLength(0);

    expect(gc.failure).toMatchObject({ code: 'invalid_input' });
    expect(gc.failure?.message).toMatch(/at most 5 one-time-use/);
    expect(gc.failure?.seam_request_id).toMatch(/\S+/);
    expect(gc.create_attempts).toBe(1);
    expect(gc.access_codes).toEqual([]);
    const end = await s.store.get(id);
    expect(end?.status).toBe('failed');

    const view = await s.api(`/v1/guest-codes/${id}`);
    expect(view.body.guest_code.status).toBe('failed');
    expect(view.body.guest_code.error).toMatchObject({
      code: 'invalid_input',
      seam_request_id: gc.failure?.seam_request_id,
    });
    expect(
      (view.body.guest_code.timeline as { type: string }[]).filter(
        (t) => t.type === 'create_attempt',
      ),
    ).toHaveLength(1);
  });
});

describe("the service's own per-device create rate limit", () => {
  let s: Stack;
  let createQueue: Queue;
  const { creates, codesOf, status } = helpers(() => s);

  beforeAll(async () => {
    s = await startStack({
      sim: { settingAfterMs: 100, setAfterMs: 300 },
      env: { DEVICE_CREATE_LIMIT_PER_MINUTE: '2' },
    });
    createQueue = new Queue(QUEUES.create, {
      connection: s.redis,
      prefix: s.config.QUEUE_PREFIX,
    });
  });
  afterAll(async () => {
    await createQueue.close();
    await s.close();
  });

  it('4 bookings for one lock: 2 created at once, 2 delayed (not failed); a cancelled one is never created', async () => {
    const device = s.sim.devices.igloohome[0]!;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await s.api('/v1/guest-codes', {
        body: {
          device_id: device,
          guest: { name: `Burst ${i}`, email: `burst${i}@example.com` },
          ...hourlyWindow(3 + i, 24),
          reference: `burst-${i}`,
        },
      });
      expect(res.status).toBe(202);
      ids.push(res.body.guest_code.id as string);
    }

    await eventually(() => (creates() >= 2 ? true : undefined), 5000);
    await sleep(1500);
    expect(creates()).toBe(2); // the simulator never saw more, so never had to 429
    expect(s.sim.accessCodes().filter((c) => c.device_id === device)).toHaveLength(2);
    const records = await Promise.all(ids.map((id) => s.store.get(id)));
    const made = records.filter((r) => r && r.status !== 'requested');
    const held = records.filter((r) => r?.status === 'requested');
    expect(made).toHaveLength(2);
    expect(held).toHaveLength(2);
    for (const r of made) expect(['waiting', 'set', 'notified']).toContain(r!.status);
    for (const r of held) {
      expect(r!.failure).toBeUndefined();
      expect(r!.create_attempts).toBe(0);
      expect(r!.access_codes).toEqual([]);
      expect(await createQueue.getJobState(`create-${r!.id}-0`)).toBe('delayed');
    }

    // A booking cancelled while its creation waits for the lock's window.
    const [cancelled, waiting] = held as [NonNullable<(typeof held)[0]>, (typeof held)[0]];
    const del = await s.api(`/v1/guest-codes/${cancelled.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.body.note).toMatch(/No code was created on the lock and none will be/);

    // The window frees (we do not wait a minute: clear it and run the delayed jobs now).
    await s.redis.del(storeKeys(s.config.QUEUE_PREFIX).deviceRate(device));
    for (const job of await createQueue.getDelayed()) await job.promote();

    await status(waiting!.id, ['waiting', 'set', 'notified']);
    await eventually(
      async () =>
        (await createQueue.getJobState(`create-${cancelled.id}-0`)) === 'completed'
          ? true
          : undefined,
      5000,
    );
    await sleep(500);
    expect(codesOf(waiting!.id)).toHaveLength(1);
    expect(codesOf(cancelled.id)).toHaveLength(0);
    expect(creates()).toBe(3);
    const end = await s.store.get(cancelled.id);
    expect(end).toMatchObject({ status: 'cancelled', create_attempts: 0, access_codes: [] });
    expect(end?.failure).toBeUndefined();
  });
});
