/** The simulator through the official client: devices from the fixture, offline fields kept,
 *  manufacturer rules answered as Seam answers them, and what the client itself retries. */
import {
  SeamHttp,
  SeamHttpApiError,
  SeamHttpInvalidInputError,
  SeamHttpUnauthorizedError,
} from '@seamapi/http';
import { startSimulator, type Simulator } from '../../sim/simulator';

let sim: Simulator;
let seam: SeamHttp;
let igloo: string;
let igloo2: string;
let berlin: string;
let newYork: string;
let unsupported: string;

beforeAll(async () => {
  sim = await startSimulator({ autoAdvance: false });
  seam = SeamHttp.fromApiKey(sim.apiKey, { endpoint: sim.url });
  [igloo, igloo2] = sim.devices.igloohome as [string, string];
  [berlin, newYork] = sim.devices.dormakaba as [string, string];
  [unsupported] = sim.devices.unsupported as [string];
});
afterAll(() => sim.close());

const offline = (deviceId: string, startsAt: string, endsAt: string | undefined, extra = {}) => ({
  device_id: deviceId,
  name: `guest ${Math.random().toString(36).slice(2)}`,
  starts_at: startsAt,
  ...(endsAt ? { ends_at: endsAt } : {}),
  is_offline_access_code: true,
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<SeamHttpApiError> {
  const err = await promise.then(
    () => new Error('expected the request to be rejected'),
    (e: unknown) => e,
  );
  if (!(err instanceof SeamHttpApiError)) throw err;
  return err;
}

describe('devices', () => {
  it('lists the fixture devices with their offline properties intact', async () => {
    const devices = await seam.devices.list();
    expect(devices.map((d) => d.device_type).sort()).toEqual([
      'august_lock',
      'dormakaba_oracode_door',
      'dormakaba_oracode_door',
      'igloohome_lock',
      'igloohome_lock',
    ]);
    const lock = await seam.devices.get({ device_id: igloo });
    expect(lock.capabilities_supported).toContain('access_code');
    expect(lock.properties.offline_access_codes_enabled).toBe(true);
    expect((lock as unknown as { location: { timezone: string } }).location.timezone).toBe(
      'Europe/London',
    );
    expect(lock.can_program_offline_access_codes).toBe(true);
    // Flat 2 has only Seam's current location.time_zone field (timezone is deprecated)
    const flat2 = (await seam.devices.get({ device_id: igloo2 })) as unknown as {
      location: { time_zone?: string; timezone?: string };
    };
    expect(flat2.location).toMatchObject({ time_zone: 'Europe/London' });
    expect(flat2.location.timezone).toBeUndefined();
    const other = await seam.devices.get({ device_id: unsupported });
    expect(other.properties.offline_access_codes_enabled).toBe(false);
  });

  it('keeps the dormakaba time slots and timezone', async () => {
    const door = await seam.devices.get({ device_id: newYork });
    const metadata = door.properties.dormakaba_oracode_metadata as unknown as {
      iana_timezone: string;
      predefined_time_slots: Array<{
        check_in_time: string;
        check_out_time: string;
        is_master: boolean;
      }>;
    };
    expect(metadata.iana_timezone).toBe('America/New_York');
    expect(
      metadata.predefined_time_slots.map((s) => `${s.check_in_time}-${s.check_out_time}`),
    ).toEqual([
      '00:00:00[America/New_York]-23:59:00[America/New_York]',
      '15:00:00[America/New_York]-11:00:00[America/New_York]',
      '07:00:00[America/New_York]-19:00:00[America/New_York]',
      '10:00:00-05:00[America/New_York]-12:00:00-05:00[America/New_York]',
      '18:00[America/New_York]-09:00[America/New_York]',
      '00:00:00[America/New_York]-23:59:00[America/New_York]',
    ]);
    expect(metadata.predefined_time_slots.filter((s) => s.is_master)).toHaveLength(1);
  });

  it('answers 401 to an unknown API key', async () => {
    const stranger = SeamHttp.fromApiKey('seam_unknown_key', { endpoint: sim.url });
    await expect(stranger.accessCodes.list({ device_id: igloo })).rejects.toBeInstanceOf(
      SeamHttpUnauthorizedError,
    );
  });
});

describe('access code create / get / list', () => {
  it('answers an offline code unset, without PIN, waiting for assignment, fields kept', async () => {
    const name = 'Stay #42 — Zoë  [tok:9f3c1a]';
    const created = await seam.accessCodes.create({
      ...offline(igloo, '2030-02-01T15:00:00Z', '2030-02-03T11:00:00Z'),
      name,
      max_time_rounding: '1h',
    });
    expect(created).toMatchObject({
      name,
      code: null,
      status: 'unset',
      is_waiting_for_code_assignment: true,
      is_offline_access_code: true,
      is_one_time_use: false,
      device_id: igloo,
      type: 'time_bound',
      starts_at: '2030-02-01T15:00:00.000Z',
      ends_at: '2030-02-03T11:00:00.000Z',
    });
    expect((created as unknown as { max_time_rounding: string }).max_time_rounding).toBe('1h');

    const fetched = await seam.accessCodes.get({ access_code_id: created.access_code_id });
    expect(fetched).toEqual(created);
  });

  it('lists only the codes of the device asked for, names exactly as sent', async () => {
    const a = await seam.accessCodes.create(
      offline(igloo2, '2030-03-01T15:00:00Z', '2030-03-02T11:00:00Z'),
    );
    const b = await seam.accessCodes.create(
      offline(berlin, '2030-03-01T14:00:00Z', '2030-03-02T10:00:00Z'),
    );
    const onIgloo2 = await seam.accessCodes.list({ device_id: igloo2 });
    expect(onIgloo2.map((c) => c.access_code_id)).toContain(a.access_code_id);
    expect(onIgloo2.every((c) => c.device_id === igloo2)).toBe(true);
    expect(onIgloo2.find((c) => c.access_code_id === a.access_code_id)?.name).toBe(a.name);
    const byIds = await seam.accessCodes.list({ access_code_ids: [b.access_code_id] });
    expect(byIds.map((c) => c.access_code_id)).toEqual([b.access_code_id]);
    expect(byIds[0]?.is_offline_access_code).toBe(true);
  });

  it('answers 404 for an unknown device or code', async () => {
    const noDevice = await rejection(
      seam.accessCodes.create(offline('nope', '2030-01-01T10:00:00Z', '2030-01-01T12:00:00Z')),
    );
    expect([noDevice.statusCode, noDevice.code]).toEqual([404, 'device_not_found']);
    const noCode = await rejection(seam.accessCodes.get({ access_code_id: 'nope' }));
    expect([noCode.statusCode, noCode.code]).toEqual([404, 'access_code_not_found']);
  });
});

describe('manufacturer rules', () => {
  const expectInvalid = async (promise: Promise<unknown>, message: RegExp) => {
    const err = await rejection(promise);
    expect(err).toBeInstanceOf(SeamHttpInvalidInputError);
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe('invalid_input');
    expect(err.message).toMatch(message);
  };

  it('refuses offline codes on a device without offline support', async () => {
    await expectInvalid(
      seam.accessCodes.create(offline(unsupported, '2030-01-01T10:00:00Z', '2030-01-01T12:00:00Z')),
      /does not support offline access codes/,
    );
  });

  // @seamapi/types: properties.offline_access_codes_enabled is "deprecated: use
  // device.can_program_offline_access_codes"
  it('the current can_program_offline_access_codes: false wins over the deprecated flag', async () => {
    const local = await startSimulator({ autoAdvance: false });
    try {
      const client = SeamHttp.fromApiKey(local.apiKey, { endpoint: local.url });
      const [lock] = local.devices.igloohome as [string];
      local.fake.database.updateDevice({
        device_id: lock,
        can_program_offline_access_codes: false,
      } as unknown as Parameters<typeof local.fake.database.updateDevice>[0]);
      const err = await rejection(
        client.accessCodes.create(offline(lock, '2030-01-01T10:00:00Z', '2030-01-01T12:00:00Z')),
      );
      expect(err.message).toMatch(/does not support offline access codes/);
    } finally {
      await local.close();
    }
  });

  it('igloohome: hourly-bound up to 672 h, longer only daily-bound', async () => {
    await expect(
      seam.accessCodes.create(offline(igloo, '2030-04-01T10:00:00Z', '2030-04-29T10:00:00Z')),
    ).resolves.toMatchObject({ status: 'unset' }); // exactly 672 h
    await expectInvalid(
      seam.accessCodes.create(offline(igloo, '2030-04-01T10:00:00Z', '2030-04-30T14:00:00Z')),
      /1 to 672 hours/,
    ); // 700 h, 4 h off the same time of day
    await expect(
      seam.accessCodes.create(
        offline(igloo, '2030-04-01T10:00:00Z', '2030-04-30T14:00:00Z', { max_time_rounding: '1d' }),
      ),
    ).resolves.toMatchObject({ status: 'unset' });
    await expect(
      seam.accessCodes.create(offline(igloo, '2030-04-01T10:00:00Z', '2030-06-01T10:00:00Z')),
    ).resolves.toMatchObject({ status: 'unset' }); // 61 days, same time of day
    await expectInvalid(
      seam.accessCodes.create(offline(igloo, '2030-04-01T10:00:00Z', '2031-05-10T10:00:00Z')),
      /29 to 367 days/,
    );
  });

  it('igloohome: one-time-use needs only starts_at, at most 5 per start slot', async () => {
    const start = '2030-05-05T09:00:00Z';
    for (let i = 0; i < 5; i++) {
      const code = await seam.accessCodes.create(
        offline(igloo2, start, undefined, { is_one_time_use: true }),
      );
      expect(code.is_one_time_use).toBe(true);
    }
    await expectInvalid(
      seam.accessCodes.create(offline(igloo2, start, undefined, { is_one_time_use: true })),
      /at most 5 one-time-use/,
    );
    await expectInvalid(
      seam.accessCodes.create({
        device_id: igloo2,
        is_offline_access_code: true,
        is_one_time_use: true,
      }),
      /require starts_at/,
    );
  });

  it('dormakaba: must fit a time slot in the door timezone, rounding up to 1 h', async () => {
    // Berlin is UTC+1 in January: 15:00-11:00 local is 14:00Z-10:00Z.
    await expect(
      seam.accessCodes.create(offline(berlin, '2030-01-10T14:00:00Z', '2030-01-12T10:00:00Z')),
    ).resolves.toMatchObject({ status: 'unset' });
    await expect(
      seam.accessCodes.create(offline(berlin, '2030-01-10T14:40:00Z', '2030-01-12T10:00:00Z')),
    ).resolves.toMatchObject({ status: 'unset' }); // 40 min off: rounded
    await expectInvalid(
      seam.accessCodes.create(offline(berlin, '2030-01-10T11:00:00Z', '2030-01-12T11:00:00Z')),
      /No time slots found/,
    ); // 12:00 local check-in fits nothing
    // The same UTC times fit New York's 15:00-11:00 slot only at 20:00Z-16:00Z.
    await expectInvalid(
      seam.accessCodes.create(offline(newYork, '2030-01-10T14:00:00Z', '2030-01-12T10:00:00Z')),
      /No time slots found/,
    );
    await expect(
      seam.accessCodes.create(offline(newYork, '2030-01-10T20:00:00Z', '2030-01-12T16:00:00Z')),
    ).resolves.toMatchObject({ status: 'unset' });
  });

  it('dormakaba: no one-time-use, at most 31 days', async () => {
    await expectInvalid(
      seam.accessCodes.create(
        offline(berlin, '2030-01-10T14:00:00Z', undefined, { is_one_time_use: true }),
      ),
      /do not support one-time-use/,
    );
    await expectInvalid(
      seam.accessCodes.create(offline(berlin, '2030-01-10T14:00:00Z', '2030-02-20T10:00:00Z')),
      /at most 31 days/,
    );
  });

  // seamapi/docs offline-access-codes.md: "the Seam API returns an error if `max_time_rounding`
  // is `1hour` and the necessary rounding amount exceeds one hour"; with `1d` "Seam rounds the
  // time period that you specify to the nearest day". The code carries the rounded window.
  it('igloohome: stores the window rounded onto the hour, or to the nearest day with 1d', async () => {
    const hourly = await seam.accessCodes.create(
      offline(igloo, '2030-08-01T10:20:00Z', '2030-08-02T11:40:00Z'),
    );
    expect([hourly.starts_at, hourly.ends_at]).toEqual([
      '2030-08-01T10:00:00.000Z',
      '2030-08-02T12:00:00.000Z',
    ]);
    const daily = await seam.accessCodes.create(
      offline(igloo, '2030-08-01T10:00:00Z', '2030-09-10T21:00:00Z', { max_time_rounding: '1d' }),
    );
    expect(daily.ends_at).toBe('2030-09-10T10:00:00.000Z'); // 40 d 11 h: nearest day is 40
  });

  // creating-igloohome-offline-access-codes.md: one-time-use "Lasts for 24 hours"; the guide's
  // responses store it without ends_at.
  it('igloohome: one-time-use is stored from the hour, without ends_at', async () => {
    const code = await seam.accessCodes.create(
      offline(igloo, '2030-08-03T09:30:00Z', undefined, { is_one_time_use: true }),
    );
    expect(code.starts_at).toBe('2030-08-03T09:00:00.000Z');
    expect(code.ends_at ?? null).toBeNull();
  });

  // "Maximum number of hourly-bound codes per hour | 3" (read: live codes with the same start
  // and end on the lock, the algoPIN grid).
  it('igloohome: at most 3 codes with the same window on a lock', async () => {
    const window = ['2030-09-01T15:00:00Z', '2030-09-04T11:00:00Z'] as const;
    for (let i = 0; i < 3; i++) await seam.accessCodes.create(offline(igloo2, ...window));
    await expectInvalid(
      seam.accessCodes.create(offline(igloo2, ...window)),
      /at most 3 offline access codes with the same start and end/,
    );
    // a window an hour later is another slot
    await expect(
      seam.accessCodes.create(offline(igloo2, '2030-09-01T16:00:00Z', window[1])),
    ).resolves.toMatchObject({ status: 'unset' });
  });

  // "Total maximum number of offline codes | 199 PINs, including online and offline PINs."
  it('igloohome: past 199 live codes a new one is stored with no_space_for_access_code_on_device', async () => {
    const local = await startSimulator({ autoAdvance: false });
    try {
      const client = SeamHttp.fromApiKey(local.apiKey, { endpoint: local.url });
      const [lock] = local.devices.igloohome as [string];
      const base = Date.parse('2031-01-01T00:00:00Z');
      for (let i = 0; i < 199; i++) {
        const start = new Date(base + i * 3_600_000).toISOString();
        const end = new Date(base + (i + 48) * 3_600_000).toISOString();
        await client.accessCodes.create(offline(lock, start, end));
      }
      const full = await client.accessCodes.create(
        offline(lock, '2031-02-01T00:00:00Z', '2031-02-02T00:00:00Z'),
      );
      expect(full.errors.map((e) => e.error_code)).toEqual(['no_space_for_access_code_on_device']);
    } finally {
      await local.close();
    }
  });

  // programming-offline-access-codes-on-dormakaba-oracode-locks.md: "The access code will use
  // the time slot's times, not your exact booking times."
  it('dormakaba: stores the slot times, with the user level, within 1 hour', async () => {
    const code = await seam.accessCodes.create(
      offline(berlin, '2030-01-10T14:40:00Z', '2030-01-12T10:30:00Z'),
    );
    expect([code.starts_at, code.ends_at]).toEqual([
      '2030-01-10T14:00:00.000Z',
      '2030-01-12T10:00:00.000Z',
    ]);
    expect(code.dormakaba_oracode_metadata).toMatchObject({
      user_level_id: '7d0a3c5e-5b1d-4b53-9f2e-2f3c3f0e7a24',
      user_level_name: 'User 124 D 3pm-11am',
    });
  });

  // Same page: is_one_shot "not currently supported"; creating-dormakaba-oracode-offline-access-
  // codes.md: a biweekly user level's codes are "valid for two weeks".
  it('dormakaba: never a one-shot slot; a biweekly slot only for two weeks', async () => {
    // 10:00-12:00 New York fits only the one-shot slot (in its offset+zone TOD form)
    await expectInvalid(
      seam.accessCodes.create(offline(newYork, '2030-01-10T15:00:00Z', '2030-01-10T17:00:00Z')),
      /No time slots found/,
    );
    // 18:00 -> 09:00 fits only the biweekly slot: three nights no, fourteen yes
    await expectInvalid(
      seam.accessCodes.create(offline(newYork, '2030-01-10T23:00:00Z', '2030-01-13T14:00:00Z')),
      /No time slots found/,
    );
    await expect(
      seam.accessCodes.create(offline(newYork, '2030-01-10T23:00:00Z', '2030-01-24T14:00:00Z')),
    ).resolves.toMatchObject({ starts_at: '2030-01-10T23:00:00.000Z' });
  });

  // "set `max_time_rounding` to `1day` to allow Seam to round up to a full day to match
  // available slots"
  it('dormakaba: 1d rounds up to whole days on the 24-hour slot only when no slot is within an hour', async () => {
    const widened = await seam.accessCodes.create(
      offline(berlin, '2030-01-10T12:00:00Z', '2030-01-12T13:00:00Z', { max_time_rounding: '1d' }),
    );
    expect([widened.starts_at, widened.ends_at]).toEqual([
      '2030-01-09T23:00:00.000Z',
      '2030-01-12T22:59:00.000Z',
    ]);
    const near = await seam.accessCodes.create(
      offline(berlin, '2030-01-10T14:30:00Z', '2030-01-12T10:00:00Z', { max_time_rounding: '1d' }),
    );
    expect([near.starts_at, near.ends_at]).toEqual([
      '2030-01-10T14:00:00.000Z',
      '2030-01-12T10:00:00.000Z',
    ]);
  });

  it('refuses a bad max_time_rounding and online codes on an offline-only lock', async () => {
    await expectInvalid(
      seam.accessCodes.create(
        offline(igloo, '2030-01-01T10:00:00Z', '2030-01-01T12:00:00Z', { max_time_rounding: '2h' }),
      ),
      /max_time_rounding/,
    );
    await expectInvalid(
      seam.accessCodes.create({ device_id: igloo, name: 'online', code: '1234' }),
      /does not support online access codes/,
    );
  });
});

describe('what the official client (@seamapi/http 2.x) retries', () => {
  const body = () => offline(igloo, '2030-07-01T15:00:00Z', '2030-07-02T11:00:00Z');

  it('does not retry a create answered 503 or 429', async () => {
    sim.resetCounts();
    sim.setFaults({ createErrors: { count: 2, status: 503 } });
    const e503 = await rejection(seam.accessCodes.create(body()));
    expect(e503.statusCode).toBe(503);
    sim.setFaults({ createErrors: { count: 1, status: 429, retryAfterSeconds: 1 } });
    const e429 = await rejection(seam.accessCodes.create(body()));
    expect(e429.statusCode).toBe(429);
    expect(sim.requestCounts()['/access_codes/create']).toBe(2);
    sim.clearFaults();
  });

  it('does not retry a create whose connection dropped (1.x did: a duplicate code); neither do we', async () => {
    // @seamapi/http 1.102 retried a dropped create and made a second offline code. 2.x retries
    // only idempotent requests (axios-retry's isIdempotentRequestError), so the caller sees the
    // connection error. The gateway switches the client's retries off all the same.
    for (const client of [
      seam,
      SeamHttp.fromApiKey(sim.apiKey, { endpoint: sim.url, axiosRetryOptions: { retries: 0 } }),
    ]) {
      sim.resetCounts();
      sim.setFaults({ dropCreates: 1 });
      const request = body();
      await expect(client.accessCodes.create(request)).rejects.toMatchObject({
        code: 'ERR_NETWORK',
      });
      expect(sim.requestCounts()['/access_codes/create']).toBe(1);
      const found = await client.accessCodes.list({ device_id: igloo });
      expect(found.filter((c) => c.name === request.name)).toHaveLength(1);
    }
  });
});
