/**
 * Provisioning offline access codes (issue 3), end to end: the whole service in-process against
 * the Seam simulator, real Redis, a real SMTP server and a real webhook receiver. Every test
 * asserts the END STATE: the guest code record in Redis, the codes on the simulator and the
 * requests the simulator saw.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import type { SimAccessCode } from '../../sim/codes';
import { eventually } from '../../devkit/eventually';
import { hourlyWindow, startStack, type Stack } from '../helpers/stack';

const CREATE = '/access_codes/create';

describe('provisioning offline access codes', () => {
  let s: Stack;
  let igloo: string;
  let igloo2: string;
  let dorma: string;
  let seq = 0;
  const ref = (name: string) => `prov-${name}-${++seq}`;

  beforeAll(async () => {
    s = await startStack({ sim: { settingAfterMs: 100, setAfterMs: 300 } });
    igloo = s.sim.devices.igloohome[0]!;
    igloo2 = s.sim.devices.igloohome[1]!;
    dorma = s.sim.devices.dormakaba[0]!;
  });
  afterAll(async () => {
    await s.close();
  });

  const creates = () => s.sim.requestCounts()[CREATE] ?? 0;
  /** The simulator's codes made for one guest code (the create carries its id in the name). */
  const codesOf = (guestCodeId: string): SimAccessCode[] =>
    s.sim.accessCodes().filter((c) => c.name?.includes(`[gc:${guestCodeId}:`));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Waits until the record leaves `requested`, then a little more, and returns it. */
  async function settled(id: string, statuses = ['waiting', 'set', 'notified']) {
    const gc = await eventually(async () => {
      const cur = await s.store.get(id);
      return cur && statuses.includes(cur.status) ? cur : undefined;
    }, 10_000);
    await sleep(300);
    return gc;
  }

  /** Changes a simulator device for the length of `fn`, then puts it back. */
  async function withDevice(
    deviceId: string,
    patch: Record<string, unknown>,
    fn: () => Promise<void>,
  ): Promise<void> {
    const db = s.sim.fake.database;
    type Update = Parameters<typeof db.updateDevice>[0];
    const original = structuredClone(db.devices.find((d) => d.device_id === deviceId)!);
    db.updateDevice({ device_id: deviceId, ...patch } as unknown as Update);
    try {
      await fn();
    } finally {
      db.updateDevice(original as unknown as Update);
    }
  }

  function guest(name: string) {
    return { name, email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com` };
  }

  describe('valid requests: 202 and exactly one offline code with the planned window', () => {
    it('igloohome hourly-bound', async () => {
      const win = hourlyWindow(3, 48);
      const before = creates();
      const res = await s.api('/v1/guest-codes', {
        body: { device_id: igloo, guest: guest('Hourly Guest'), ...win, reference: ref('h') },
      });
      expect(res.status).toBe(202);
      const id = res.body.guest_code.id as string;
      expect(res.body.guest_code.status).toBe('requested');

      const gc = await settled(id);
      const codes = codesOf(id);
      expect(codes).toHaveLength(1);
      expect(creates() - before).toBe(1);
      const c = codes[0]!;
      expect(c.device_id).toBe(igloo);
      expect(c.is_offline_access_code).toBe(true);
      expect(c.is_one_time_use).toBe(false);
      expect(c.max_time_rounding).toBe('1hour');
      expect(c.starts_at).toBe(win.starts_at);
      expect(c.ends_at).toBe(win.ends_at);

      expect(gc.plan).toMatchObject({
        kind: 'hourly_bound',
        starts_at: win.starts_at,
        ends_at: win.ends_at,
        max_time_rounding: '1hour',
        timezone: 'Europe/London',
      });
      expect(gc.access_codes.map((a) => a.access_code_id)).toEqual([c.access_code_id]);
      expect(gc.active_access_code_id).toBe(c.access_code_id);
      expect(gc.create_attempts).toBe(1);
    });

    it('igloohome daily-bound: 30 days, same local time, max_time_rounding 1d', async () => {
      const start = DateTime.now()
        .setZone('Europe/London')
        .plus({ days: 2 })
        .set({ hour: 14, minute: 0, second: 0, millisecond: 0 });
      const end = start.plus({ days: 30 }); // same wall-clock time, across DST if any
      const startIso = start.toUTC().toISO()!;
      const endIso = end.toUTC().toISO()!;
      const res = await s.api('/v1/guest-codes', {
        body: {
          device_id: igloo,
          guest: guest('Daily Guest'),
          starts_at: start.toISO(),
          ends_at: end.toISO(),
          max_time_rounding: '1d',
          reference: ref('d'),
        },
      });
      expect(res.status).toBe(202);
      const id = res.body.guest_code.id as string;

      const gc = await settled(id);
      const codes = codesOf(id);
      expect(codes).toHaveLength(1);
      const c = codes[0]!;
      expect(c.is_offline_access_code).toBe(true);
      expect(c.is_one_time_use).toBe(false);
      expect(c.max_time_rounding).toBe('1day');
      expect(c.starts_at).toBe(startIso);
      expect(c.ends_at).toBe(endIso);
      expect(gc.plan).toMatchObject({
        kind: 'daily_bound',
        starts_at: startIso,
        ends_at: endIso,
        max_time_rounding: '1day',
      });
      expect(gc.plan.caveats).toContain('igloohome_first_use_within_24h');
    });

    it('igloohome one-time-use without ends_at: valid 24 h from starts_at', async () => {
      const { starts_at } = hourlyWindow(5, 1);
      const res = await s.api('/v1/guest-codes', {
        body: {
          device_id: igloo,
          guest: guest('Once Guest'),
          starts_at,
          is_one_time_use: true,
          reference: ref('o'),
        },
      });
      expect(res.status).toBe(202);
      const id = res.body.guest_code.id as string;

      const gc = await settled(id);
      const codes = codesOf(id);
      expect(codes).toHaveLength(1);
      const c = codes[0]!;
      expect(c.is_offline_access_code).toBe(true);
      expect(c.is_one_time_use).toBe(true);
      expect(c.starts_at).toBe(starts_at);
      expect(c.ends_at ?? null).toBeNull(); // no ends_at sent for a one-time-use code
      const dayLater = new Date(Date.parse(starts_at) + 24 * 3600_000).toISOString();
      expect(gc.plan).toMatchObject({ kind: 'one_time_use', starts_at, ends_at: dayLater });
      expect(gc.plan.caveats).toContain('one_time_use_single_entry_24h');
    });

    it('dormakaba in a time slot: check-in 15:00, check-out 11:00 in the lock zone', async () => {
      const zone = 'Europe/Berlin';
      const checkIn = DateTime.now()
        .setZone(zone)
        .plus({ days: 3 })
        .set({ hour: 15, minute: 0, second: 0, millisecond: 0 });
      const checkOut = checkIn.plus({ days: 2 }).set({ hour: 11 });
      const res = await s.api('/v1/guest-codes', {
        body: {
          device_id: dorma,
          guest: guest('Slot Guest'),
          starts_at: checkIn.toISO(),
          ends_at: checkOut.toISO(),
          reference: ref('k'),
        },
      });
      expect(res.status).toBe(202);
      const id = res.body.guest_code.id as string;
      expect(res.body.guest_code.planned.time_slot).toMatchObject({
        name: 'User 124 D 3pm-11am',
        prefix: 124,
      });

      const gc = await settled(id);
      const codes = codesOf(id);
      expect(codes).toHaveLength(1);
      const c = codes[0]!;
      expect(c.device_id).toBe(dorma);
      expect(c.is_offline_access_code).toBe(true);
      expect(c.is_one_time_use).toBe(false);
      expect(c.starts_at).toBe(checkIn.toUTC().toISO());
      expect(c.ends_at).toBe(checkOut.toUTC().toISO());
      expect(gc.plan).toMatchObject({
        kind: 'hourly_bound',
        starts_at: checkIn.toUTC().toISO(),
        ends_at: checkOut.toUTC().toISO(),
        timezone: zone,
        time_slot: {
          name: 'User 124 D 3pm-11am',
          prefix: 124,
          user_level_id: '7d0a3c5e-5b1d-4b53-9f2e-2f3c3f0e7a24',
        },
      });
    });
  });

  describe('idempotency by reference', () => {
    it('ten concurrent identical requests: one 202, nine 200 with the same id, one code', async () => {
      const body = {
        device_id: igloo,
        guest: guest('Concurrent Guest'),
        ...hourlyWindow(6, 24),
        reference: ref('c'),
      };
      const before = creates();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => s.api('/v1/guest-codes', { body })),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
      const ids = new Set(answers.map((a) => a.body.guest_code.id as string));
      expect(ids.size).toBe(1);
      const [id] = [...ids] as [string];

      const gc = await settled(id);
      await sleep(300);
      expect(codesOf(id)).toHaveLength(1);
      expect(creates() - before).toBe(1);
      expect(gc.create_attempts).toBe(1);
      expect((await s.store.getByReference(body.reference))?.id).toBe(id);

      // The same reference again, after the fact: 200, still the same record.
      const again = await s.api('/v1/guest-codes', { body });
      expect(again.status).toBe(200);
      expect(again.body.guest_code.id).toBe(id);

      // Same reference, different body: 409, and nothing new.
      const other = await s.api('/v1/guest-codes', {
        body: { ...body, guest: guest('Someone Else') },
      });
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('reference_conflict');
      expect(other.body.error.details).toEqual([
        expect.objectContaining({ field: 'reference', guest_code_id: id }),
      ]);
      await sleep(200);
      expect(codesOf(id)).toHaveLength(1);
      expect(creates() - before).toBe(1);
      expect((await s.store.get(id))?.request.guest.name).toBe('Concurrent Guest');
    });
  });

  describe('invalid requests: documented 4xx and nothing created', () => {
    const valid = () => ({
      device_id: igloo,
      guest: { name: 'Invalid Guest', email: 'invalid@example.com' },
      ...hourlyWindow(4, 24),
    });

    /** Sends, checks status and error code, and that no record and no Seam code came of it. */
    async function rejected(
      body: Record<string, unknown>,
      status: number,
      code: string,
      token?: string,
    ) {
      const reference = (body.reference as string | undefined) ?? ref('bad');
      const before = creates();
      const codesBefore = s.sim.accessCodes().length;
      const res = await s.api('/v1/guest-codes', { body: { reference, ...body }, token });
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
      await sleep(50);
      expect(creates()).toBe(before);
      expect(s.sim.accessCodes()).toHaveLength(codesBefore);
      expect(await s.store.getByReference(reference)).toBeUndefined();
      return res.body;
    }

    it('no token or a wrong token: 401', async () => {
      const reference = ref('noauth');
      const before = creates();
      const noToken = await fetch(`${s.url}/v1/guest-codes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...valid(), reference }),
      });
      expect(noToken.status).toBe(401);
      expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe(
        'unauthorized',
      );
      await rejected({ ...valid(), reference }, 401, 'unauthorized', 'wrong-token-0123456789abc');
      // Reads need the token too.
      expect(
        (await s.api(`/v1/guest-codes?reference=${reference}`, { token: 'nope' })).status,
      ).toBe(401);
      expect(creates()).toBe(before);
    });

    it('malformed body: 400 listing every problem by field', async () => {
      const { device_id: _omit, ...rest } = valid();
      const body = await rejected(
        { ...rest, guest: { name: 'X', email: 'not-an-email' }, colour: 'blue' },
        400,
        'invalid_request',
      );
      const fields = (body.error.details as { field: string; message: string }[]).map(
        (d) => d.field,
      );
      expect(fields).toEqual(expect.arrayContaining(['device_id', 'guest.email', '(body)']));
      const unknown = body.error.details.find((d: { field: string }) => d.field === '(body)');
      expect(unknown.message).toContain('colour');
      expect(body.error.message).toContain(`${fields.length} problem`);
    });

    it('a body that is not JSON: 400', async () => {
      const before = creates();
      const res = await fetch(`${s.url}/v1/guest-codes`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${s.config.API_TOKEN}`,
          'content-type': 'application/json',
        },
        body: '{"device_id": ',
      });
      expect(res.status).toBe(400);
      expect(creates()).toBe(before);
    });

    it('unknown device: 404 device_not_found', async () => {
      await rejected({ ...valid(), device_id: 'no-such-device-0000' }, 404, 'device_not_found');
    });

    it('unsupported device (August, online codes only): 422 unsupported_manufacturer', async () => {
      const body = await rejected(
        { ...valid(), device_id: s.sim.devices.unsupported[0] },
        422,
        'unsupported_manufacturer',
      );
      expect(body.error.message).toMatch(/igloohome/);
    });

    it('an igloohome lock with offline codes disabled: 422 device_not_capable', async () => {
      await withDevice(
        igloo2,
        {
          can_program_offline_access_codes: false,
          properties: { offline_access_codes_enabled: false },
        },
        async () => {
          const body = await rejected({ ...valid(), device_id: igloo2 }, 422, 'device_not_capable');
          expect(body.error.message).toMatch(/offline/);
        },
      );
    });

    it("reads Seam's top-level can_program_offline_access_codes too: accepted (202)", async () => {
      await withDevice(
        igloo2,
        {
          can_program_offline_access_codes: true,
          properties: { offline_access_codes_enabled: false },
        },
        async () => {
          // Only the device check is under test; the simulator itself reads only the deprecated
          // properties flag, so hold the create off with a 429 and cancel before it is retried.
          s.sim.setFaults({ createErrors: { count: 1, status: 429, retryAfterSeconds: 5 } });
          const before = creates();
          const reference = ref('newflag');
          const res = await s.api('/v1/guest-codes', {
            body: { ...valid(), device_id: igloo2, reference },
          });
          expect(res.status).toBe(202);
          const id = res.body.guest_code.id as string;
          await eventually(() => (creates() > before ? true : undefined), 5000);
          const del = await s.api(`/v1/guest-codes/${id}`, { method: 'DELETE' });
          expect(del.body.guest_code.status).toBe('cancelled');
          expect(codesOf(id)).toHaveLength(0);
          s.sim.setFaults({ createErrors: null });
        },
      );
    });

    it('igloohome 680 h (in the gap between 672 h and 29 days): 422 igloohome_duration_gap', async () => {
      const body = await rejected(
        { ...valid(), ...hourlyWindow(4, 680) },
        422,
        'igloohome_duration_gap',
      );
      expect(body.error.message).toContain('672');
      expect(body.error.message).toContain('29');
    });

    it('igloohome 700 h (29 d 4 h, not the same time of day) with 1h rounding: 422 rounding_exceeds_max', async () => {
      await rejected({ ...valid(), ...hourlyWindow(4, 700) }, 422, 'rounding_exceeds_max');
    });

    it('window in the past: 422 window_in_past', async () => {
      await rejected({ ...valid(), ...hourlyWindow(-30, 24) }, 422, 'window_in_past');
    });

    it('window that ends before it starts: 422 window_inverted', async () => {
      const w = hourlyWindow(10, 5);
      await rejected(
        { ...valid(), starts_at: w.ends_at, ends_at: w.starts_at },
        422,
        'window_inverted',
      );
    });

    it('dormakaba one-time-use: 422 one_time_use_not_supported', async () => {
      const { starts_at } = hourlyWindow(5, 1);
      const { ends_at: _e, ...rest } = valid();
      await rejected(
        { ...rest, device_id: dorma, starts_at, is_one_time_use: true },
        422,
        'one_time_use_not_supported',
      );
    });

    it('dormakaba window that fits no time slot (lock without a 24-hour slot): 422 no_matching_time_slot', async () => {
      const ny = s.sim.devices.dormakaba[1]!;
      const device = s.sim.fake.database.devices.find((d) => d.device_id === ny)!;
      const meta = (
        device.properties as unknown as {
          dormakaba_oracode_metadata: { predefined_time_slots: { is_24_hour: boolean }[] };
        }
      ).dormakaba_oracode_metadata;
      const slots = meta.predefined_time_slots.filter((t) => !t.is_24_hour);
      await withDevice(
        ny,
        { properties: { dormakaba_oracode_metadata: { ...meta, predefined_time_slots: slots } } },
        async () => {
          const start = DateTime.now()
            .setZone('America/New_York')
            .plus({ days: 3 })
            .set({ hour: 3, minute: 0, second: 0, millisecond: 0 });
          const body = await rejected(
            {
              ...valid(),
              device_id: ny,
              starts_at: start.toISO(),
              ends_at: start.plus({ hours: 26 }).toISO(),
            },
            422,
            'no_matching_time_slot',
          );
          expect(body.error.message).toContain('03:00');
          expect(body.error.message).toContain('User 124 D 3pm-11am');
        },
      );
    });

    it('dormakaba window near no slot, 1h rounding: 422 no_matching_time_slot naming the nearest slot and what 1d would open', async () => {
      const start = DateTime.now()
        .setZone('Europe/Berlin')
        .plus({ days: 3 })
        .set({ hour: 3, minute: 0, second: 0, millisecond: 0 });
      const body = await rejected(
        {
          ...valid(),
          device_id: dorma,
          starts_at: start.toISO(),
          ends_at: start.plus({ hours: 26 }).toISO(),
        },
        422,
        'no_matching_time_slot',
      );
      const [v] = body.error.details;
      expect(v.details.available_slots.map((x: { prefix: number }) => x.prefix)).toEqual([
        123, 124, 126,
      ]);
      expect(v.details.nearest_slot.prefix).toBeDefined();
      // the fixture's 24-hour slot keeps the code within the stay's own dates: offered
      expect(v.details.day_rounding_option).toMatchObject({
        max_time_rounding: '1d',
        opens_before_stay_minutes: 180,
      });
      expect(body.error.message).toMatch(/cannot be revoked/);
    });
  });

  describe('reading a guest code', () => {
    it('GET by id and by reference return status, codes, planned window, attempts and timeline', async () => {
      const win = hourlyWindow(8, 12);
      const reference = ref('get');
      const res = await s.api('/v1/guest-codes', {
        body: { device_id: igloo, guest: guest('Reader Guest'), ...win, reference },
      });
      expect(res.status).toBe(202);
      const id = res.body.guest_code.id as string;
      await settled(id, ['notified']);
      const [code] = codesOf(id);

      const byId = await s.api(`/v1/guest-codes/${id}`);
      expect(byId.status).toBe(200);
      const v = byId.body.guest_code;
      expect(v).toMatchObject({
        id,
        reference,
        status: 'notified',
        access_code_ids: [code!.access_code_id],
        active_access_code_id: code!.access_code_id,
        planned: { kind: 'hourly_bound', starts_at: win.starts_at, ends_at: win.ends_at },
        create_attempts: 1,
        error: null,
      });
      const types = (v.timeline as { type: string; at: string }[]).map((t) => t.type);
      expect(types[0]).toBe('requested');
      expect(types).toEqual(expect.arrayContaining(['create_attempt', 'created']));
      for (const t of v.timeline) expect(Number.isNaN(Date.parse(t.at))).toBe(false);
      expect(JSON.stringify(v)).not.toContain(code!.code!); // no PIN in the API

      const byRef = await s.api(`/v1/guest-codes?reference=${encodeURIComponent(reference)}`);
      expect(byRef.status).toBe(200);
      expect(byRef.body.guest_code).toEqual(v);

      expect((await s.api('/v1/guest-codes/gc_missing')).status).toBe(404);
      expect((await s.api('/v1/guest-codes?reference=missing-ref')).status).toBe(404);
      // Without a reference it is the listing (test/integration/guest-code-listing.test.ts).
      const listed = await s.api('/v1/guest-codes?limit=200');
      expect(listed.status).toBe(200);
      expect(listed.body.guest_codes.length).toBeGreaterThan(0);
    });
  });

  describe('cancelling after the code exists', () => {
    it('says the code stays valid until its end, records cancelled, and never notifies', async () => {
      // Codes on this lock take 1.5 s longer to be set: time to cancel in between.
      s.sim.setFaults({ devices: { [igloo2]: { setDelayMs: 1500 } } });
      try {
        const win = hourlyWindow(3, 24);
        const g = { name: 'Cancelled Guest', email: 'cancelled.after@example.com' };
        const reference = ref('cancel-after');
        const res = await s.api('/v1/guest-codes', {
          body: { device_id: igloo2, guest: g, ...win, reference },
        });
        expect(res.status).toBe(202);
        const id = res.body.guest_code.id as string;
        const waiting = await settled(id, ['waiting']);
        expect(waiting.access_codes).toHaveLength(1);
        const acId = waiting.access_codes[0]!.access_code_id;

        const del = await s.api(`/v1/guest-codes/${id}`, { method: 'DELETE' });
        expect(del.status).toBe(200);
        expect(del.body.guest_code.status).toBe('cancelled');
        expect(del.body.note).toMatch(/stays valid on the lock until/);
        expect(del.body.note).toContain(win.ends_at);
        expect(del.body.note).toMatch(/cannot be revoked/);

        // The code is set on the lock afterwards, and the service sees it...
        const seen = await eventually(async () => {
          const cur = await s.store.get(id);
          return cur?.access_codes[0]?.status === 'set' ? cur : undefined;
        }, 10_000);
        await sleep(800);
        // ...but the record stays cancelled, keeps its code, and nobody is told.
        const end = await s.store.get(id);
        expect(end?.status).toBe('cancelled');
        expect(end?.cancelled_at).toBeDefined();
        expect(end?.access_codes.map((a) => a.access_code_id)).toEqual([acId]);
        expect(end?.notifications).toEqual([]);
        expect(seen.status).toBe('cancelled');
        expect(s.smtp.messages.filter((m) => m.rcptTo.includes(g.email))).toHaveLength(0);
        expect(
          s.notifyReceiver.received.filter((r) => r.raw.includes(reference) || r.raw.includes(id)),
        ).toHaveLength(0);
        expect(codesOf(id)).toHaveLength(1);
        const timeline = (await s.store.timeline(id)).map((t) => t.type);
        expect(timeline).toContain('cancelled');

        // A second DELETE is harmless.
        const again = await s.api(`/v1/guest-codes/${id}`, { method: 'DELETE' });
        expect(again.status).toBe(200);
        expect(again.body.guest_code.status).toBe('cancelled');
      } finally {
        s.sim.setFaults({ devices: null });
      }
    });
  });

  describe('property: fuzzed bodies', () => {
    const KNOWN = new Set([
      'device_id',
      'guest',
      'starts_at',
      'ends_at',
      'is_one_time_use',
      'max_time_rounding',
      'reference',
    ]);
    const notString = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
    );
    const notBoolean = fc.oneof(
      fc.integer(),
      fc.string(),
      fc.constant(null),
      fc.array(fc.boolean(), { maxLength: 2 }),
    );
    const extraKey = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((k) => !KNOWN.has(k) && k !== '__proto__');

    type Body = Record<string, unknown>;
    const base = (): Body => ({
      device_id: igloo,
      guest: { name: 'Fuzz Guest', email: 'fuzz@example.com' },
      ...hourlyWindow(4, 24),
      is_one_time_use: false,
      max_time_rounding: '1h',
    });
    // Every mutation makes a valid body invalid, so the answer must be 400 or 422.
    const mutation: fc.Arbitrary<(b: Body) => Body> = fc.oneof(
      fc
        .constantFrom('device_id', 'guest', 'starts_at')
        .map((k) => (b: Body) => Object.fromEntries(Object.entries(b).filter(([x]) => x !== k))),
      fc
        .tuple(fc.constantFrom('device_id', 'starts_at', 'ends_at', 'max_time_rounding'), notString)
        .map(([k, v]) => (b: Body) => ({ ...b, [k]: v })),
      notBoolean.map((v) => (b: Body) => ({ ...b, is_one_time_use: v })),
      fc.tuple(extraKey, fc.jsonValue()).map(([k, v]) => (b: Body) => ({ ...b, [k]: v })),
      fc
        .tuple(fc.constantFrom('name', 'email', 'phone', 'extra'), notString)
        .map(([k, v]) => (b: Body) => ({ ...b, guest: { name: 'G', [k]: v } })),
      fc.string({ maxLength: 20 }).map((v) => (b: Body) => ({ ...b, starts_at: v })),
      fc
        .constantFrom('10y', 'P1D', '', 'daily', '1H')
        .map((v) => (b: Body) => ({ ...b, max_time_rounding: v })),
      fc
        .integer({ min: 2, max: 5000 })
        .map((h) => (b: Body) => ({ ...b, ...hourlyWindow(-h - 1, h) })),
      fc.integer({ min: 1, max: 500 }).map((h) => (b: Body) => {
        const w = hourlyWindow(3, h);
        return { ...b, starts_at: w.ends_at, ends_at: w.starts_at };
      }),
    );
    const body: fc.Arbitrary<{ body: unknown; withReference: boolean }> = fc.oneof(
      fc.record({
        body: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => {
          let b = base();
          for (const m of ms) b = m(b);
          return b;
        }),
        withReference: fc.constant(true),
      }),
      fc.record({ body: fc.object(), withReference: fc.boolean() }),
      fc.record({ body: fc.jsonValue(), withReference: fc.constant(false) }),
    );

    it('always get 400 or 422, never 2xx or 5xx, and never create a code', async () => {
      const before = creates();
      const codesBefore = s.sim.accessCodes().length;
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(body, async ({ body: b, withReference }) => {
          const reference = ref('fuzz');
          const sent =
            withReference && b !== null && typeof b === 'object' && !Array.isArray(b)
              ? { ...(b as Body), reference }
              : b;
          const res = await fetch(`${s.url}/v1/guest-codes`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${s.config.API_TOKEN}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify(sent),
          });
          seen.add(res.status);
          const text = await res.text();
          expect([400, 422]).toContain(res.status);
          const parsed = JSON.parse(text) as { error: { code: string; message: string } };
          expect(typeof parsed.error.code).toBe('string');
          expect(await s.store.getByReference(reference)).toBeUndefined();
        }),
        { numRuns: 60 },
      );
      await sleep(200);
      expect(creates()).toBe(before);
      expect(s.sim.accessCodes()).toHaveLength(codesBefore);
      expect(seen.has(400)).toBe(true);
    });
  });
});
