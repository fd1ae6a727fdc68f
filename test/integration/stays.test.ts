/**
 * Stays with several doors (issue 17 item 2): POST /v1/guest-codes with `device_ids`, one
 * guest code per door, one message to the guest with every door, "more to follow" when a door
 * is late at the stay's start (and an alert), PATCH and DELETE on every door, nothing created
 * when one lock refuses. The whole service against the simulator, real Redis, a real SMTP
 * server and a real receiver; every test asserts the end state.
 */
import type { GuestCode } from '../../src/domain/guest-code';
import { randomUUID } from 'node:crypto';
import { fingerprint } from '../../src/flows/request-guest-code';
import { stayRequestSchema } from '../../src/http/guest-code-schema';
import { StayStore } from '../../src/store/stays';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('stays with several doors', () => {
  let s: Stack;
  let stays: StayStore;
  let seq = 0;

  beforeAll(async () => {
    s = await startStack({
      sim: { settingAfterMs: 50, setAfterMs: 150 },
      // No replacement: a door whose code fails to set fails at once.
      env: {
        DEVICE_CREATE_LIMIT_PER_MINUTE: '1000',
        REPLACE_AFTER_MS: '300',
        MAX_REPLACEMENTS: '0',
      },
    });
    stays = new StayStore(s.redis, s.config.QUEUE_PREFIX);
  });
  afterEach(() => {
    s.sim.clearFaults();
  });
  afterAll(async () => {
    await s.close();
  });

  const [lockA, lockB] = [0, 1];
  const igloo = (i: number) => s.sim.devices.igloohome[i]!;
  const mailTo = (to: string) => s.smtp.messages.filter((m) => m.rcptTo.includes(to));
  const stayEvents = (stayId: string) =>
    s.notifyReceiver.received.filter(
      (r) =>
        r.verified &&
        r.event?.type === 'stay.ready' &&
        (r.event.data as { stay_id: string }).stay_id === stayId,
    );
  const codeOf = (accessCodeId: string | undefined) =>
    s.sim.accessCodes().find((c) => c.access_code_id === accessCodeId)?.code;
  const doorsOf = async (stayId: string): Promise<GuestCode[]> => {
    const stay = await stays.get(stayId);
    const docs = await s.store.getMany(stay!.doors.map((d) => d.guest_code_id));
    return docs.filter((d): d is GuestCode => d !== undefined);
  };
  const allNotified = (stayId: string, generation = 0, timeoutMs = 15_000) =>
    eventually(async () => {
      const doors = await doorsOf(stayId);
      return doors.length > 0 &&
        doors.every((d) => d.status === 'notified' && d.generation === generation)
        ? doors
        : undefined;
    }, timeoutMs);

  function body(opts: { startIn?: number; hours?: number; devices?: string[] } = {}) {
    const n = ++seq;
    const email = `doors-${n}@guest.example`;
    return {
      email,
      body: {
        device_ids: opts.devices ?? [igloo(lockA), igloo(lockB)],
        guest: { name: 'Grace', email },
        ...hourlyWindow(opts.startIn ?? 2 + 24 * n, opts.hours ?? 24),
        reference: `stay-doors-${n}`,
      },
    };
  }

  it('a two-door stay: 202 with both doors, one email with both PINs, both doors notified', async () => {
    const b = body();
    const res = await s.api('/v1/guest-codes', { body: b.body });
    expect(res.status).toBe(202);
    const stay = res.body.stay;
    expect(stay.id).toMatch(/^st_/);
    expect(stay.reference).toBe(b.body.reference);
    expect(stay.doors).toEqual([
      expect.objectContaining({ door: 1, device_id: igloo(lockA), status: 'requested' }),
      expect.objectContaining({ door: 2, device_id: igloo(lockB), status: 'requested' }),
    ]);
    const doors = await allNotified(stay.id);
    expect(doors.map((d) => d.reference)).toEqual([
      `${b.body.reference}#1`,
      `${b.body.reference}#2`,
    ]);
    expect(doors.map((d) => d.stay)).toEqual([
      { id: stay.id, door: 1, doors: 2 },
      { id: stay.id, door: 2, doors: 2 },
    ]);
    const pins = doors.map((d) => codeOf(d.active_access_code_id)!);
    await sleep(400);
    const mails = mailTo(b.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/door codes for your stay \(2 doors\)/);
    for (const pin of pins) expect(mails[0]!.text).toContain(pin);
    expect(mails[0]!.text).toContain('Door 1:');
    expect(mails[0]!.text).toContain('Door 2:');
    expect(mails[0]!.text).not.toMatch(/More to follow/);
    // The booking system: one stay.ready with both doors.
    const events = await eventually(() => {
      const found = stayEvents(stay.id);
      return found.length > 0 ? found : undefined;
    });
    expect(events).toHaveLength(1);
    const data = events[0]!.event!.data as { doors: { door: number; pin: string }[] };
    expect(data.doors.map((d) => [d.door, d.pin])).toEqual([
      [1, pins[0]],
      [2, pins[1]],
    ]);
    expect(
      s.notifyReceiver.received.filter(
        (r) =>
          r.event?.type === 'guest_code.ready' &&
          doors.some((d) => d.id === (r.event!.data as { guest_code_id: string }).guest_code_id),
      ),
    ).toHaveLength(0);
    // GET /v1/stays/{id}: current statuses; each door is an ordinary guest code too.
    const view = await s.api(`/v1/stays/${stay.id}`);
    expect(view.status).toBe(200);
    expect(view.body.stay.doors.map((d: { status: string }) => d.status)).toEqual([
      'notified',
      'notified',
    ]);
    const door1 = await s.api(`/v1/guest-codes/${doors[0]!.id}`);
    expect(door1.body.guest_code.stay).toEqual({ id: stay.id, door: 1, doors: 2 });
    for (const pin of pins) expect(s.logs.text()).not.toContain(pin);
  });

  it('one door late at the stay start: what is ready with "more to follow" and an alert, then a message with only the late door', async () => {
    const b = body({ startIn: 0, hours: 20 });
    s.sim.setFaults({ devices: { [igloo(lockB)]: { setDelayMs: 3000 } } });
    const res = await s.api('/v1/guest-codes', { body: b.body });
    expect(res.status).toBe(202);
    const stayId = res.body.stay.id as string;

    // The first door is told, with "more to follow"; the second is still waiting.
    const first = await eventually(() => {
      const m = mailTo(b.email);
      return m.length > 0 ? m : undefined;
    });
    expect(first).toHaveLength(1);
    expect(first[0]!.text).toMatch(/More to follow: the code for 1 more door is not ready yet/);
    expect(first[0]!.text).toContain('Door 1:');
    expect(first[0]!.text).not.toContain('Door 2:');
    const alert = await eventually(() =>
      s.notifyReceiver.received.find(
        (r) =>
          r.verified &&
          r.event?.type === 'guest_code.alert' &&
          (r.event.data as { error: { code: string } }).error.code === 'stay_incomplete',
      ),
    );
    expect((alert.event!.data as { error: { message: string } }).error.message).toContain(stayId);

    const doors = await allNotified(stayId, 0, 20_000);
    await sleep(400);
    const mails = mailTo(b.email);
    expect(mails).toHaveLength(2);
    const [pinA, pinB] = doors.map((d) => codeOf(d.active_access_code_id)!);
    expect(mails[0]!.text).toContain(pinA!);
    expect(mails[0]!.text).not.toContain(pinB!);
    expect(mails[1]!.text).toContain(pinB!);
    expect(mails[1]!.text).not.toContain(pinA!);
    expect(mails[1]!.subject).toMatch(/More door codes/);
    expect(mails[1]!.text).not.toMatch(/More to follow/);
    const events = stayEvents(stayId).map(
      (r) => r.event!.data as { more_to_follow: boolean; doors: { door: number }[] },
    );
    expect(events.map((e) => [e.more_to_follow, e.doors.map((d) => d.door)])).toEqual([
      [true, [1]],
      [false, [2]],
    ]);
  });

  it('a door that fails for good: the other door is told without waiting for it', async () => {
    const b = body();
    s.sim.setFaults({ devices: { [igloo(lockB)]: { failToSet: true } } });
    const res = await s.api('/v1/guest-codes', { body: b.body });
    const stayId = res.body.stay.id as string;
    const doors = await eventually(async () => {
      const found = await doorsOf(stayId);
      return found[0]?.status === 'notified' && found[1]?.status === 'failed' ? found : undefined;
    }, 15_000);
    await sleep(400);
    const mails = mailTo(b.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(codeOf(doors[0]!.active_access_code_id)!);
    expect(mails[0]!.text).toContain('Door 1:');
    expect(mails[0]!.text).not.toContain('Door 2:');
  });

  it('refused by one lock: 422 naming device_ids[i] and the lock, nothing created anywhere', async () => {
    const b = body({ devices: [igloo(lockA), s.sim.devices.dormakaba[0]!] });
    const before = s.sim.accessCodes().length;
    const keysBefore = (await s.redis.keys(`${s.config.QUEUE_PREFIX}:*`)).sort();
    const res = await s.api('/v1/guest-codes', {
      body: { ...b.body, is_one_time_use: true, ends_at: undefined },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('one_time_use_not_supported');
    expect(res.body.error.details).toEqual([
      expect.objectContaining({
        field: 'device_ids[1]',
        details: expect.objectContaining({ device_id: s.sim.devices.dormakaba[0] }),
      }),
    ]);
    expect(res.body.error.message).toContain('device_ids[1]');
    await sleep(300);
    expect(await stays.getByReference(b.body.reference)).toBeUndefined();
    expect(await s.store.getByReference(`${b.body.reference}#1`)).toBeUndefined();
    expect(await s.store.getByReference(`${b.body.reference}#2`)).toBeUndefined();
    // No stay, no guest code, no job: Redis holds the same keys as before.
    const keysAfter = (await s.redis.keys(`${s.config.QUEUE_PREFIX}:*`)).sort();
    // (the sweeper's own ticks aside)
    expect(keysAfter.filter((k) => !keysBefore.includes(k) && !k.includes(':code-sweep:'))).toEqual(
      [],
    );
    expect(s.sim.accessCodes()).toHaveLength(before);
  });

  it('bad input: device_id and device_ids together, or a lock twice, is a 400 naming device_ids', async () => {
    const b = body();
    const both = await s.api('/v1/guest-codes', {
      body: { ...b.body, device_id: igloo(lockA) },
    });
    expect(both.status).toBe(400);
    expect(both.body.error.details[0].field).toBe('device_ids');
    const twice = await s.api('/v1/guest-codes', {
      body: { ...b.body, device_ids: [igloo(lockA), igloo(lockA)] },
    });
    expect(twice.status).toBe(400);
    expect(twice.body.error.details[0].field).toBe('device_ids');
    const none = await s.api('/v1/guest-codes', {
      body: { ...b.body, device_ids: undefined },
    });
    expect(none.status).toBe(400);
    expect(none.body.error.details[0]).toMatchObject({
      field: 'device_id',
      message: expect.stringContaining('device_ids'),
    });
  });

  it('idempotent POST: the same body answers 200 with the same stay; another body 409', async () => {
    const b = body();
    const first = await s.api('/v1/guest-codes', { body: b.body });
    expect(first.status).toBe(202);
    const again = await s.api('/v1/guest-codes', { body: b.body });
    expect(again.status).toBe(200);
    expect(again.body.stay.id).toBe(first.body.stay.id);
    expect(again.body.stay.doors.map((d: { guest_code_id: string }) => d.guest_code_id)).toEqual(
      first.body.stay.doors.map((d: { guest_code_id: string }) => d.guest_code_id),
    );
    const other = await s.api('/v1/guest-codes', {
      body: { ...b.body, guest: { name: 'Someone else', email: b.email } },
    });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('reference_conflict');
    const doors = await allNotified(first.body.stay.id);
    expect(doors).toHaveLength(2);
    await sleep(300);
    expect(mailTo(b.email)).toHaveLength(1);
    // Two codes on Seam for two doors, never more.
    const ids = new Set(doors.map((d) => d.id));
    expect(
      s.sim.accessCodes().filter((c) => [...ids].some((id) => c.name?.includes(`[gc:${id}:`))),
    ).toHaveLength(2);
  });

  it('a retried POST completes the doors a crash left unwritten (the stay was written first)', async () => {
    const b = body();
    // The state a crash leaves between writing the stay and writing its doors.
    const parsed = stayRequestSchema.parse(b.body);
    const stayId = `st_${randomUUID()}`;
    await stays.createIfAbsent(
      {
        id: stayId,
        reference: b.body.reference,
        request_fingerprint: fingerprint(parsed),
        starts_at: b.body.starts_at,
        ends_at: b.body.ends_at,
        doors: [
          { door: 1, device_id: igloo(lockA), guest_code_id: `gc_${randomUUID()}` },
          { door: 2, device_id: igloo(lockB), guest_code_id: `gc_${randomUUID()}` },
        ],
        created_at: new Date().toISOString(),
      },
      Date.now(),
    );
    const view = await s.api(`/v1/stays/${stayId}`);
    expect(view.body.stay.doors.map((d: { status: string }) => d.status)).toEqual([
      'requested',
      'requested',
    ]);
    const retry = await s.api('/v1/guest-codes', { body: b.body });
    expect(retry.status).toBe(200);
    expect(retry.body.stay.id).toBe(stayId);
    const doors = await allNotified(stayId);
    expect(doors.map((d) => d.reference)).toEqual([
      `${b.body.reference}#1`,
      `${b.body.reference}#2`,
    ]);
    await sleep(300);
    expect(mailTo(b.email)).toHaveLength(1);
  });

  it('a new email for the stay (PATCH) and one door resent: one message at the new address with every door', async () => {
    const b = body();
    const res = await s.api('/v1/guest-codes', { body: b.body });
    const stayId = res.body.stay.id as string;
    const before = await allNotified(stayId);
    const moved = `moved-${b.email}`;
    const ok = await s.api(`/v1/stays/${stayId}`, {
      method: 'PATCH',
      body: { guest: { name: 'Grace', email: moved } },
    });
    expect(ok.status).toBe(200);
    const doors = await doorsOf(stayId);
    expect(doors.map((d) => [d.request.guest.email, d.generation, d.status])).toEqual([
      [moved, 0, 'notified'],
      [moved, 0, 'notified'],
    ]);
    const resent = await s.api(`/v1/guest-codes/${before[0]!.id}/resend`, { method: 'POST' });
    expect(resent.status).toBe(202);
    const mail = await eventually(() => mailTo(moved)[0]);
    for (const d of before) expect(mail.text).toContain(codeOf(d.active_access_code_id)!);
    await allNotified(stayId);
    await sleep(400);
    expect(mailTo(moved)).toHaveLength(1);
    expect(mailTo(b.email)).toHaveLength(1);
  });

  it('DELETE cancels every door', async () => {
    const b = body();
    const res = await s.api('/v1/guest-codes', { body: b.body });
    const stayId = res.body.stay.id as string;
    const del = await s.api(`/v1/stays/${stayId}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.body.stay.doors.map((d: { status: string }) => d.status)).toEqual([
      'cancelled',
      'cancelled',
    ]);
    expect(del.body.notes).toHaveLength(2);
    const doors = await doorsOf(stayId);
    expect(doors.map((d) => d.status)).toEqual(['cancelled', 'cancelled']);
    await sleep(500);
    expect(mailTo(b.email)).toHaveLength(0);
    // A cancelled stay cannot change any more.
    const late = await s.api(`/v1/stays/${stayId}`, {
      method: 'PATCH',
      body: { ends_at: iso(Date.parse(b.body.ends_at) + HOUR) },
    });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('change_not_possible');
    const missing = await s.api('/v1/stays/st_00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
  });

  it('PATCH changes every door (one message with both new PINs); a change one lock refuses changes nothing', async () => {
    const b = body();
    const res = await s.api('/v1/guest-codes', { body: b.body });
    const stayId = res.body.stay.id as string;
    const before = await allNotified(stayId);

    // Refused: a window that ends before it starts (every lock refuses; nothing changes).
    const bad = await s.api(`/v1/stays/${stayId}`, {
      method: 'PATCH',
      body: { ends_at: iso(Date.parse(b.body.starts_at) - HOUR) },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].field).toBe('device_ids[0]');
    expect(bad.body.error.message).toContain(igloo(lockA));
    const unchanged = await doorsOf(stayId);
    expect(unchanged.map((d) => [d.version, d.generation])).toEqual(
      before.map((d) => [d.version, d.generation]),
    );

    const newEnd = iso(Date.parse(b.body.ends_at) + 24 * HOUR);
    const ok = await s.api(`/v1/stays/${stayId}`, { method: 'PATCH', body: { ends_at: newEnd } });
    expect(ok.status).toBe(202);
    expect(ok.body.notes).toHaveLength(2);
    const after = await allNotified(stayId, 1);
    for (const d of after) {
      expect(d.previous_codes?.map((p) => p.valid_until)).toEqual([b.body.ends_at]);
      expect(Date.parse(d.plan.ends_at)).toBe(Date.parse(newEnd));
    }
    await sleep(400);
    const mails = mailTo(b.email);
    expect(mails).toHaveLength(2);
    for (const d of after) expect(mails[1]!.text).toContain(codeOf(d.active_access_code_id)!);
    expect(mails[1]!.subject).toMatch(/Your stay has changed: your door codes \(2 doors\)/);
    const changed = await eventually(() => {
      const found = stayEvents(stayId);
      return found.length === 2 ? found[1] : undefined;
    });
    const data = changed.event!.data as {
      changed: boolean;
      doors: { previous_codes: { valid_until: string }[] }[];
    };
    expect(data.changed).toBe(true);
    expect(data.doors.map((d) => d.previous_codes.map((p) => p.valid_until))).toEqual([
      [b.body.ends_at],
      [b.body.ends_at],
    ]);
  });
});
