/** Codes advance unset -> setting -> set on the accelerated clock, get a PIN when set, and the
 *  matching events are listed by /events/list; in manual mode a test drives each code. */
import { SeamHttp } from '@seamapi/http';
import { startSimulator, type Simulator } from '../../sim/simulator';
import { nextWindow } from './windows';
import { eventually } from '../../devkit/eventually';

const stay = (deviceId: string, name = `guest-${Math.random().toString(36).slice(2)}`) => ({
  device_id: deviceId,
  name,
  ...nextWindow(),
  is_offline_access_code: true,
});
const since = () => new Date(Date.now() - 60_000).toISOString();

describe('automatic lifecycle', () => {
  let sim: Simulator;
  let seam: SeamHttp;
  beforeAll(async () => {
    // `setting` lasts most of a second: long enough for a poll on a loaded machine to see it.
    sim = await startSimulator({ settingAfterMs: 50, setAfterMs: 1000 });
    seam = SeamHttp.fromApiKey(sim.apiKey, { endpoint: sim.url });
  });
  afterAll(() => sim.close());

  it('goes unset -> setting -> set with a 4-8 digit PIN, and lists the events', async () => {
    const [device] = sim.devices.igloohome as [string];
    const created = await seam.accessCodes.create(stay(device));
    expect(created.status).toBe('unset');
    const setting = await eventually(async () => {
      const c = await seam.accessCodes.get({ access_code_id: created.access_code_id });
      return c.status === 'unset' ? undefined : c;
    });
    expect(setting.status).toBe('setting');
    expect(setting.code).toBeNull();
    const set = await eventually(async () => {
      const c = await seam.accessCodes.get({ access_code_id: created.access_code_id });
      return c.status === 'set' ? c : undefined;
    });
    expect(set.code).toMatch(/^\d{4,8}$/);
    expect(set.is_waiting_for_code_assignment).toBe(false);

    const events = await seam.events.list({
      since: since(),
      access_code_id: created.access_code_id,
    });
    expect(events.map((e) => e.event_type)).toEqual([
      'access_code.created',
      'access_code.scheduled_on_device',
      'access_code.set_on_device',
    ]);
    const setEvent = events[2] as unknown as Record<string, unknown>;
    expect(setEvent).toMatchObject({
      access_code_id: created.access_code_id,
      device_id: device,
      workspace_id: sim.workspaceId,
      code: set.code,
    });
    expect(setEvent.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof setEvent.connected_account_id).toBe('string');
    expect(setEvent).not.toHaveProperty('event_description');
  });

  it('filters /events/list by access_code_ids and event_types, and by since', async () => {
    const [, device] = sim.devices.igloohome as [string, string];
    const a = await seam.accessCodes.create(stay(device));
    const b = await seam.accessCodes.create(stay(device));
    const sets = await eventually(async () => {
      const found = await seam.events.list({
        since: since(),
        access_code_ids: [a.access_code_id, b.access_code_id],
        event_types: ['access_code.set_on_device'],
      });
      return found.length === 2 ? found : undefined;
    });
    expect(sets.map((e) => (e as { access_code_id?: string }).access_code_id).sort()).toEqual(
      [a.access_code_id, b.access_code_id].sort(),
    );
    const created = await seam.events.list({
      since: since(),
      access_code_id: a.access_code_id,
      event_type: 'access_code.created',
    });
    expect(created).toHaveLength(1);
    const future = await seam.events.list({ since: new Date(Date.now() + 60_000).toISOString() });
    expect(future).toEqual([]);
  });

  it('delays set (with a delay event) when setDelayMs is in force', async () => {
    const [device] = sim.devices.igloohome as [string];
    sim.setFaults({ setDelayMs: 400 });
    const created = await seam.accessCodes.create(stay(device));
    sim.setFaults({ setDelayMs: null });
    const delayed = await eventually(() =>
      sim
        .events()
        .find(
          (e) =>
            e.access_code_id === created.access_code_id &&
            e.event_type === 'access_code.delay_in_setting_on_device',
        ),
    );
    expect(delayed.access_code_warnings).toEqual([
      expect.objectContaining({ warning_code: 'delay_in_setting_on_device' }),
    ]);
    expect(sim.accessCodes().find((c) => c.access_code_id === created.access_code_id)?.status).toBe(
      'setting',
    );
    const set = await eventually(() =>
      sim
        .accessCodes()
        .find((c) => c.access_code_id === created.access_code_id && c.status === 'set'),
    );
    expect(
      Date.parse(
        sim
          .events()
          .find(
            (e) =>
              e.access_code_id === set.access_code_id &&
              e.event_type === 'access_code.set_on_device',
          )!.created_at,
      ) - Date.parse(created.created_at),
    ).toBeGreaterThanOrEqual(500);
    expect(set.warnings).toEqual([]);
  });

  it('fails instead of set on a faulty device, and for the next N codes', async () => {
    const [berlin, newYork] = sim.devices.dormakaba as [string, string];
    const slot = (deviceId: string) => ({
      device_id: deviceId,
      name: `slot-${Math.random()}`,
      starts_at: deviceId === berlin ? '2030-01-10T14:00:00Z' : '2030-01-10T20:00:00Z',
      ends_at: deviceId === berlin ? '2030-01-12T10:00:00Z' : '2030-01-12T16:00:00Z',
      is_offline_access_code: true,
    });
    sim.setFaults({
      devices: { [berlin]: { failToSet: 'no_space_for_access_code_on_device' } },
      failNextSets: 1,
    });
    const onBerlin = await seam.accessCodes.create(slot(berlin));
    const firstNy = await seam.accessCodes.create(slot(newYork));
    const secondNy = await seam.accessCodes.create(slot(newYork));
    sim.clearFaults();

    const failure = (id: string) =>
      eventually(() =>
        sim
          .events()
          .find(
            (e) =>
              e.access_code_id === id && e.event_type === 'access_code.failed_to_set_on_device',
          ),
      );
    expect((await failure(onBerlin.access_code_id)).access_code_errors).toEqual([
      expect.objectContaining({
        error_code: 'no_space_for_access_code_on_device',
        message: expect.any(String),
      }),
    ]);
    expect((await failure(firstNy.access_code_id)).access_code_errors).toEqual([
      expect.objectContaining({
        error_code: 'failed_to_set_on_device',
        created_at: expect.any(String),
      }),
    ]);
    await eventually(() =>
      sim
        .accessCodes()
        .find((c) => c.access_code_id === secondNy.access_code_id && c.status === 'set'),
    );
    const failed = await seam.accessCodes.get({ access_code_id: firstNy.access_code_id });
    expect(failed.status).not.toBe('set');
    expect(failed.code).toBeNull();
    expect(failed.errors.map((e) => e.error_code)).toEqual(['failed_to_set_on_device']);
  });
});

describe('manual lifecycle', () => {
  let sim: Simulator;
  let seam: SeamHttp;
  beforeAll(async () => {
    sim = await startSimulator({ autoAdvance: false, settingAfterMs: 1, setAfterMs: 1 });
    seam = SeamHttp.fromApiKey(sim.apiKey, { endpoint: sim.url });
  });
  afterAll(() => sim.close());

  it('leaves codes unset until the test drives them', async () => {
    const [device] = sim.devices.igloohome as [string];
    const created = await seam.accessCodes.create(stay(device));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await seam.accessCodes.get({ access_code_id: created.access_code_id })).status).toBe(
      'unset',
    );

    sim.setStatus(created.access_code_id, 'setting');
    sim.setStatus(created.access_code_id, 'set', { code: '24680' });
    const set = await seam.accessCodes.get({ access_code_id: created.access_code_id });
    expect([set.status, set.code]).toEqual(['set', '24680']);
    const types = sim
      .events()
      .filter((e) => e.access_code_id === created.access_code_id)
      .map((e) => e.event_type);
    expect(types).toEqual([
      'access_code.created',
      'access_code.scheduled_on_device',
      'access_code.set_on_device',
    ]);
  });

  it('fails a code and emits any event on demand', async () => {
    const [device] = sim.devices.igloohome as [string];
    const created = await seam.accessCodes.create(stay(device));
    sim.fail(created.access_code_id, 'failed_to_set_on_device');
    sim.emit('access_code.failed_to_set_on_device', created.access_code_id); // a duplicate event
    const failures = await seam.events.list({
      since: since(),
      access_code_id: created.access_code_id,
      event_type: 'access_code.failed_to_set_on_device',
    });
    expect(failures).toHaveLength(2);
    expect(new Set(failures.map((e) => e.event_id)).size).toBe(2);
    expect(() => sim.setStatus('no_such_code', 'set')).toThrow(/no access code/);
  });
});
